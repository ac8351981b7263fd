package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// TestActionStateRecord: a result leaves pending, joins its batch, marks
// its row, and when confirmed records who took the backend out or failed
// the proxy; the state it came from is not changed.
func TestActionStateRecord(t *testing.T) {
	t.Parallel()
	web2 := model.BackendRef{Source: "lb1", Pool: "web", Backend: "web-2"}
	drain := model.Action{Kind: model.ActionDrain, Ref: web2}
	st := actionState{}.begin([]model.Action{drain}, 7, 0, t0)
	got, b := st.record(actions.Result{Request: actions.Request{Action: drain}, Outcome: actions.Confirmed, At: t0}, 7, "ana", t0)
	if len(got.pending) != 0 || !b.complete() || got.pendingFor(web2) != nil {
		t.Fatalf("after a confirmed drain: pending %v, batch complete %v", got.pending, b.complete())
	}
	if k := got.markFor(web2, t0.Add(time.Minute)); k == nil || k.text != "confirmed" || k.bad {
		t.Fatalf("mark %+v", k)
	}
	if got.markFor(web2, t0.Add(markTTL)) != nil {
		t.Fatal("the mark outlives markTTL")
	}
	if e, ok := got.drainedBy[web2]; !ok || e.User.Login != "ana" {
		t.Fatalf("drained by %+v", got.drainedBy)
	}
	if len(st.pending) != 1 || len(st.history[0].results) != 0 || st.drainedBy != nil {
		t.Fatal("record changed the state it was called on")
	}

	fail := model.Action{Kind: model.ActionWeight, Weight: 3, Ref: web2}
	got = got.begin([]model.Action{fail}, 8, 0, t0)
	got, _ = got.record(actions.Result{Request: actions.Request{Action: fail}, Outcome: actions.Failed, Err: errors.New("no"), At: t0}, 8, "ana", t0)
	if k := got.markFor(web2, t0); k == nil || !k.bad {
		t.Fatalf("failed mark %+v", k)
	}
	if _, ok := got.drainedBy[web2]; !ok {
		t.Fatal("a failed weight forgot who drained the backend")
	}
	last, skipped := got.history.undoable()
	if last == nil || last.id != 7 || skipped != "failed weight 3 lb1:web/web-2" {
		t.Fatalf("undoable %+v, skipped %q", last, skipped)
	}

	proxy := model.Action{Kind: model.ActionProxyFail, Ref: model.BackendRef{Source: "edge"}}
	got = got.begin([]model.Action{proxy}, 9, 0, t0)
	got, _ = got.record(actions.Result{Request: actions.Request{Action: proxy}, Outcome: actions.Confirmed, At: t0}, 9, "bob", t0)
	if e, ok := got.proxyBy["edge"]; !ok || e.User.Login != "bob" {
		t.Fatalf("proxy by %+v", got.proxyBy)
	}
	ok := model.Action{Kind: model.ActionProxyOK, Ref: model.BackendRef{Source: "edge"}}
	got = got.begin([]model.Action{ok}, 10, 0, t0)
	got, _ = got.record(actions.Result{Request: actions.Request{Action: ok}, Outcome: actions.Confirmed, At: t0}, 10, "bob", t0)
	if _, still := got.proxyBy["edge"]; still {
		t.Fatal("proxy-ok left the proxy recorded as failed")
	}
}

// TestHistoryRowsAndWhyNotUndo: the a list's rows are newest first, one
// per instance's result or one for a batch still sending; each batch
// says why it cannot be undone, or nothing when it can.
func TestHistoryRowsAndWhyNotUndo(t *testing.T) {
	t.Parallel()
	ref := func(src string) model.BackendRef { return model.BackendRef{Source: src, Pool: "web", Backend: "web-1"} }
	drain := func(src string) model.Action { return model.Action{Kind: model.ActionDrain, Ref: ref(src)} }
	result := func(a model.Action, o actions.Outcome) actions.Result {
		r := actions.Result{Request: actions.Request{Action: a}, Outcome: o, At: t0}
		if o == actions.Failed {
			r.Err = errors.New("connection refused")
		}
		return r
	}
	st := actionState{}.begin([]model.Action{drain("lb1"), drain("lb2")}, 1, 0, t0) // fan-out: one confirmed, one failed
	st, _ = st.record(result(drain("lb1"), actions.Confirmed), 1, "ana", t0)
	st, _ = st.record(result(drain("lb2"), actions.Failed), 1, "ana", t0)
	st = st.begin([]model.Action{drain("lb3")}, 2, 0, t0)
	st, _ = st.record(result(drain("lb3"), actions.Failed), 2, "ana", t0)
	ready := model.Action{Kind: model.ActionReady, Ref: ref("lb1")}
	st = st.begin([]model.Action{ready}, 3, 1, t0)
	st, _ = st.record(result(ready, actions.Confirmed), 3, "ana", t0)
	st = st.begin([]model.Action{drain("lb4")}, 4, 0, t0) // still sending

	var ids []int
	for _, r := range st.history.rows() {
		ids = append(ids, r.id)
	}
	if want := []int{4, 3, 2, 1, 1}; !slices.Equal(ids, want) {
		t.Fatalf("rows of batches %v, want %v", ids, want)
	}
	if r := st.history.rows(); !strings.Contains(r[0].text, "sending… (1 instance)") || !strings.HasSuffix(r[3].text, "[undone]") {
		t.Fatalf("rows %+v", r)
	}
	why := map[int]string{
		1: "it is already undone",
		2: "nothing was changed, so there is nothing to revert",
		3: "it is an undo itself; act on the backend again instead",
		4: "it is still pending; wait for its outcome",
	}
	for id, want := range why {
		if got := st.history.byID(id).whyNotUndo(); got != want {
			t.Errorf("batch %d: %q, want %q", id, got, want)
		}
	}
	if st.history.byID(9) != nil {
		t.Error("byID found a batch that does not exist")
	}
	fresh := actionState{}.begin([]model.Action{drain("lb1")}, 1, 0, t0)
	fresh, _ = fresh.record(result(drain("lb1"), actions.Confirmed), 1, "ana", t0)
	if got := fresh.history.byID(1).whyNotUndo(); got != "" {
		t.Errorf("a confirmed batch cannot be undone: %q", got)
	}
}
