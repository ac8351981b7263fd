package ui

import (
	"errors"
	"strings"
	"testing"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// Another session's action shows on this one's row while it runs
// ("pending drain by bob"), then as a notice, an outcome mark naming bob,
// a "drained by bob" note and a line of the actions list; it is never
// this session's to wait for on quit, nor to undo.
func TestPeerAction(t *testing.T) {
	ex := &fakeExecutor{}
	m, ref := onWeb2(t, ex, "alice")
	act := model.Action{Kind: model.ActionDrain, Ref: ref}
	m = update(t, m, PeerActionMsg{User: "bob", Action: act})
	if v := view(m); !strings.Contains(v, "pending drain by bob") {
		t.Fatalf("the row does not show bob's pending drain:\n%s", v)
	}
	if got := m.pendingFor(ref); got == nil || got.user != "bob" {
		t.Fatalf("pendingFor = %+v", got)
	}
	if p := press(t, m, "d"); !strings.Contains(p.msg.text, "still pending") || p.dialog.open {
		t.Errorf("d on a row bob acts on: message %q, dialog %v", p.msg.text, p.dialog.open)
	}
	if q := press(t, m, "q"); q.acts.quit != quitNone {
		t.Errorf("quit asks to wait for another session's action")
	}

	res := ex.Run(t.Context(), actions.Request{Action: act, Before: m.backends.cursor().Backend, Reason: "INC-1234"})
	m = update(t, m, PeerActionMsg{User: "bob", Action: act, Result: &res})
	if m.pendingFor(ref) != nil {
		t.Error("still pending after bob's result")
	}
	if want := "bob: confirmed: drain " + act.Ref.String(); !strings.HasPrefix(m.msg.text, want) || !strings.HasSuffix(m.msg.text, "· INC-1234") {
		t.Errorf("notice %q, want %q… · INC-1234", m.msg.text, want)
	}
	if v := view(m); !strings.Contains(v, "bob: confirmed") {
		t.Errorf("the row lacks bob's outcome:\n%s", v)
	}
	if e, ok := m.acts.drainedBy[ref]; !ok || e.User.Login != "bob" {
		t.Errorf("drained by %+v, want bob", e)
	}
	v := view(press(t, m, "a"))
	if !strings.Contains(v, "by others:") || !strings.Contains(v, "bob: confirmed: drain") || !strings.Contains(v, "INC-1234") {
		t.Errorf("actions list lacks bob's drain:\n%s", v)
	}
	if u := press(t, m, "u"); u.dialog.open || !strings.Contains(u.msg.text, "nothing to undo") {
		t.Errorf("u offers to undo bob's action: %q", u.msg.text)
	}
}

// The list of others' actions keeps the newest MaxPeerResults.
func TestPeerResultsBounded(t *testing.T) {
	m := twoModel(t, &fakeExecutor{}, Options{User: "alice"}, 120, 40)
	ref := model.BackendRef{Source: "lb1", Pool: "web", Backend: "web-1"}
	for i := range MaxPeerResults + 50 {
		r := actions.Result{Request: actions.Request{Action: model.Action{Kind: model.ActionReady, Ref: ref}, Reason: "n" + strings.Repeat("x", i%3)}, Outcome: actions.Failed, Err: errors.New("refused"), At: t0}
		m = update(t, m, PeerActionMsg{User: "bob", Action: r.Action, Result: &r})
	}
	if n := len(m.acts.peers.done); n != MaxPeerResults {
		t.Errorf("%d results kept, want %d", n, MaxPeerResults)
	}
}

// A session joining late is handed the actions taken before: ended ones
// go to its actions list (no notice, no mark: they are old news), a
// running one onto its row until its end arrives.
func TestPeerHistory(t *testing.T) {
	ex := &fakeExecutor{}
	m, ref := onWeb2(t, ex, "vic")
	running := model.Action{Kind: model.ActionDrain, Ref: ref}
	old := ex.Run(t.Context(), actions.Request{Action: model.Action{Kind: model.ActionMaint, Ref: ref}, Before: m.backends.cursor().Backend, Reason: "INC-1"})
	m = update(t, m, PeerHistoryMsg{Actions: []PeerActionMsg{
		{User: "ana", Action: old.Action, Result: &old},
		{User: "bob", Action: running},
	}})
	if m.msg.text != "" || m.markFor(ref) != nil {
		t.Errorf("old actions made a notice %q or a mark %+v", m.msg.text, m.markFor(ref))
	}
	if v := view(m); !strings.Contains(v, "pending drain by bob") {
		t.Fatalf("the row does not show bob's running drain:\n%s", v)
	}
	if v := view(press(t, m, "a")); !strings.Contains(v, "ana: confirmed: maint") || !strings.Contains(v, "INC-1") {
		t.Errorf("actions list lacks ana's earlier maint:\n%s", v)
	}
	res := ex.Run(t.Context(), actions.Request{Action: running, Before: m.backends.cursor().Backend})
	m = update(t, m, PeerActionMsg{User: "bob", Action: running, Result: &res})
	if m.pendingFor(ref) != nil || len(m.acts.peers.done) != 2 {
		t.Errorf("after bob's end: pending %+v, %d ended", m.pendingFor(ref), len(m.acts.peers.done))
	}
}

// onWeb2 is user's dashboard of two instances, 140x40, with the cursor
// on web-2 of the open pool web, and web-2's ref.
func onWeb2(t *testing.T, ex *fakeExecutor, user string) (Model, model.BackendRef) {
	t.Helper()
	m := twoModel(t, ex, Options{User: user}, 140, 40)
	m = cursorTo(t, openPoolNamed(t, m, "web"), "web-2")
	return m, m.backends.cursor().Ref()
}
