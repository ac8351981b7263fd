package ui

import (
	"context"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// TestUpdateAndViewNeverCallDo drives every key, fleets and answers
// through Update and View and proves that neither calls the Actor's Do:
// only the Cmd returned on confirmation does, exactly once.
func TestUpdateAndViewNeverCallDo(t *testing.T) {
	actor := envoyActor()
	counting := &countingActor{inner: actor}
	m, f := newModel(t, counting, Options{Executor: lb1Runner(counting)}, 80, 24)
	script := []tea.Msg{
		keyMsg("?"), keyMsg("?"), keyMsg("j"), keyMsg("k"), keyMsg("G"), keyMsg("g"),
		keyMsg("pgdown"), keyMsg("pgup"), keyMsg("s"), keyMsg("s"), keyMsg("p"), keyMsg("p"),
		keyMsg("d"), keyMsg("r"), keyMsg("m"), keyMsg("w"), keyMsg("F"), keyMsg("n"),
		keyMsg("/"), keyMsg("w"), keyMsg("e"), keyMsg("b"), keyMsg("enter"),
		keyMsg("enter"), keyMsg("j"), keyMsg("d"), keyMsg("n"), keyMsg("r"), keyMsg("esc"),
		keyMsg("m"), keyMsg("y"), // y answers the dialog opened by m: returns a Cmd, not run
		ActionResultMsg{Result: actions.Result{Request: actions.Request{Action: model.Action{Kind: model.ActionMaint, Ref: model.BackendRef{Source: "lb1", Pool: "web", Backend: "web-2"}}}, Outcome: actions.Confirmed}},
		FleetMsg{Fleet: f.poll(model.Down, "MAINT", 10)},
		keyMsg("w"), keyMsg("x"), keyMsg("enter"), keyMsg("ctrl+u"), keyMsg("7"), keyMsg("enter"), keyMsg("esc"),
		keyMsg("F"), keyMsg("esc"), keyMsg("esc"), keyMsg("esc"), keyMsg("j"), keyMsg("F"), keyMsg("n"),
		tea.WindowSizeMsg{Width: 120, Height: 40}, FleetMsg{Fleet: f.poll(model.Healthy, "UP", 7)},
		tea.PasteMsg{Content: "ignored outside a prompt"},
	}
	for i, msg := range script {
		m = update(t, m, msg)
		_ = view(m)
		if counting.calls != 0 {
			t.Fatalf("step %d (%T %v): Do called %d times by Update or View", i, msg, msg, counting.calls)
		}
	}
	m = cursorTo(t, openPoolNamed(t, press(t, m, "esc"), "static"), "static-1")
	m, cmd := updateCmd(t, press(t, m, "d"), keyMsg("y"))
	_ = view(m)
	if counting.calls != 0 || cmd == nil {
		t.Fatalf("after y: Do called %d times, cmd %v; message %q", counting.calls, cmd != nil, m.msg.text)
	}
	msg := cmd()
	if counting.calls != 1 {
		t.Fatalf("running the confirmation's Cmd called Do %d times, want 1", counting.calls)
	}
	if done, ok := msg.(ActionResultMsg); !ok || done.Result.Action.Ref.Backend != "static-1" || done.Result.Action.Kind != model.ActionDrain {
		t.Fatalf("Cmd returned %#v", msg)
	}
}

// countingActor counts every call that could do I/O.
type countingActor struct {
	inner    *fakeActor
	calls    int
	supports int
}

func (c *countingActor) Supports(source string, k model.ActionKind) (bool, string) {
	c.supports++
	return c.inner.Supports(source, k)
}

func (c *countingActor) Do(ctx context.Context, a model.Action) error {
	c.calls++
	return c.inner.Do(ctx, a)
}
