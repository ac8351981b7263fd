package ui

import (
	"strings"
	"testing"

	"github.com/lbtop/lbtop/model"
)

// TestReasonFieldKeys: tab focuses the reason, where y is a letter and
// the footer says so; enter keeps the reason and returns to the dialog,
// whose y then applies with that reason.
func TestReasonFieldKeys(t *testing.T) {
	actor := envoyActor()
	m, _ := newModel(t, actor, Options{Floor: 0.3}, 120, 40)
	m = press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-2"), "d", "tab")
	m = typeText(t, m, "deploy y")
	v := view(m)
	if !m.dialog.open || m.dialog.reason != "deploy y" || !strings.Contains(v, "typing the reason: enter keeps it") || strings.Contains(v, "y apply") {
		t.Fatalf("reason field: open %v reason %q\n%s", m.dialog.open, m.dialog.reason, v)
	}
	m = press(t, m, "enter")
	if !m.dialog.open || m.dialog.field != fieldNone || !strings.Contains(m.msg.text, "reason kept; y applies") || !strings.Contains(view(m), "y apply") {
		t.Fatalf("enter in the reason: field %v message %q\n%s", m.dialog.field, m.msg.text, view(m))
	}
	m, cmd := updateCmd(t, m, keyMsg("y"))
	if cmd == nil || m.dialog.open {
		t.Fatal("y after the reason did not apply")
	}
	msg := cmd().(ActionResultMsg)
	res := msg.Result
	if res.Reason != "deploy y" || res.Action.Kind != model.ActionDrain {
		t.Fatalf("applied %s with reason %q", res.Action, res.Reason)
	}
	if h := view(press(t, update(t, m, msg), "?")); !strings.Contains(h, "tab") || !strings.Contains(h, "←/→") || !strings.Contains(h, "dialog: end reason") {
		t.Fatalf("help lacks the dialog keys:\n%s", h)
	}
}
