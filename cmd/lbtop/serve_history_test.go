package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/ui"
)

// A session that joins after an action sees it in its actions list a,
// with the actor's name and reason, as the sessions connected then do:
// over real SSH against a real HAProxy.
func TestServeLateJoinerSeesEarlierActions(t *testing.T) {
	inst := fleet3(t)
	r := startServe(t, inst.Addr, "--interval", "1s")
	op := r.term(t, "ana", 110, 30)
	op.waitFor("[ana · operator · 1 watching: ana]", 10*time.Second)
	op.openWeb()
	op.askDrain("INC-9")
	op.keys("y")
	op.waitFor("confirmed: drain", 15*time.Second)

	vw := r.term(t, "vic", 110, 30)
	vw.waitFor("[vic · viewer · 2 watching: ana, vic]", 10*time.Second)
	vw.keys("a")
	vw.waitFor("by others:", 5*time.Second)
	s := vw.screen()
	if !strings.Contains(s, "ana: confirmed: drain haproxy") || !strings.Contains(s, "INC-9") {
		t.Errorf("the late session's actions list lacks ana's drain:\n%s", s)
	}
	op.keys("a")
	if s := op.waitFor("Actions this session", 5*time.Second); !strings.Contains(s, "confirmed: drain haproxy") || !strings.Contains(s, "INC-9") {
		t.Errorf("ana's own actions list lacks the drain:\n%s", s)
	}
}

// The server keeps every session's running actions and the newest
// ui.MaxPeerResults ended ones, an end replacing its start, without
// changing the slice a session was handed.
func TestSharedActionsBounded(t *testing.T) {
	t.Parallel()
	act := func(user string, i int) ui.PeerActionMsg {
		return ui.PeerActionMsg{User: user, Action: model.Action{Kind: model.ActionDrain, Ref: model.BackendRef{Source: "lb1", Pool: "web", Backend: "b" + strconv.Itoa(i)}}}
	}
	ended := func(m ui.PeerActionMsg, i int) ui.PeerActionMsg {
		m.Result = &actions.Result{Request: actions.Request{Action: m.Action, Reason: "n" + strconv.Itoa(i)}, Outcome: actions.Confirmed}
		return m
	}
	var kept []ui.PeerActionMsg
	kept = sharedActions(kept, act("bob", -1)) // runs throughout
	for i := range ui.MaxPeerResults + 30 {
		kept = sharedActions(kept, act("ana", i))
		kept = sharedActions(kept, ended(act("ana", i), i))
	}
	handed := kept // what a session joining now is given
	kept = sharedActions(kept, ended(act("cy", 999), 999))
	if got := handed[1].Result.Reason; got != "n30" {
		t.Errorf("sharedActions changed the slice handed out: its oldest ended action is now %s, was n30", got)
	}
	if len(kept) != ui.MaxPeerResults+1 || kept[0].User != "bob" || kept[0].Result != nil {
		t.Fatalf("kept %d, first %+v: want bob's running drain and %d ended", len(kept), kept[0], ui.MaxPeerResults)
	}
	for i, k := range kept[1:] {
		want := "n" + strconv.Itoa(i+31)
		if i == ui.MaxPeerResults-1 {
			want = "n999"
		}
		if k.Result == nil || k.Result.Reason != want {
			t.Fatalf("kept[%d] = %+v, want the ended action %s", i+1, k, want)
		}
	}
}
