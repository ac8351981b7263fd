package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestStatusLineIDs: message and batch ids come from one counter, so a
// clear for an old message never removes a newer one.
func TestStatusLineIDs(t *testing.T) {
	t.Parallel()
	var s statusLine
	first := s.show(StatusWarn, "first")
	batch := s.newID()
	second := s.show(StatusInfo, "second")
	if first == batch || batch == second || first == second {
		t.Fatalf("ids repeat: %d %d %d", first, batch, second)
	}
	s.clear(first)
	if s.text != "second" {
		t.Fatalf("an old clear removed a newer message: %q", s.text)
	}
	s.clear(second)
	if s.text != "" || s.nextID != second {
		t.Fatalf("clear left %q (next id %d)", s.text, s.nextID)
	}
}

func TestStatusClearsByID(t *testing.T) {
	m, _ := newModel(t, envoyActor(), Options{}, 80, 24)
	m, cmd := updateCmd(t, m, StatusMsg{Level: StatusWarn, Text: "first", TTL: time.Second})
	if cmd == nil || m.msg.text != "first" {
		t.Fatalf("StatusMsg: %q", m.msg.text)
	}
	first := m.msg.id
	m = update(t, m, StatusMsg{Text: "second"})
	m = update(t, m, clearStatusMsg{id: first})
	if m.msg.text != "second" {
		t.Fatalf("an old clear removed a newer message: %q", m.msg.text)
	}
	m = update(t, m, clearStatusMsg{id: m.msg.id})
	if m.msg.text != "" {
		t.Fatalf("clear left %q", m.msg.text)
	}
}

func TestKeyMarkdownMarksDangerous(t *testing.T) {
	md := KeyMarkdown(KeyHelp(false))
	if !strings.Contains(md, "| `d` | ⚠ drain") || !strings.Contains(md, "| `/` | filter") {
		t.Fatalf("markdown table:\n%s", md)
	}
}

// A shared session's header names who it is and who else watches.
func TestIdentityAndPresenceInHeader(t *testing.T) {
	m := New(nil, Options{ReadOnly: true, NoColor: true, Identity: "ana · operator"})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 10})
	if v := view(m); !strings.Contains(v, "[ana · operator]") {
		t.Errorf("header without the identity:\n%s", v)
	}
	m = update(t, m, PresenceMsg{Text: "2 watching: ana, bob"})
	if v := view(m); !strings.Contains(strings.SplitN(v, "\n", 2)[0], "[ana · operator · 2 watching: ana, bob]") {
		t.Errorf("header without the presence:\n%s", v)
	}
	if v := view(update(t, New(nil, Options{ReadOnly: true, NoColor: true}), tea.WindowSizeMsg{Width: 120, Height: 10})); strings.Contains(v, "watching") || strings.Contains(v, "operator") {
		t.Errorf("a local session shows an identity:\n%s", v)
	}
}

// TestHelpFitsAt80: every key's help text fits its column of the help
// box at 80×24, live and in replay (no entry cut with "…").
func TestHelpFitsAt80(t *testing.T) {
	docs := append(KeyHelp(false), ReplayKeyHelp()...)
	for _, d := range docs {
		w := width(d.Action)
		if d.Dangerous {
			w += 2
		}
		if w > helpWidth {
			t.Errorf("%s: %q is %d cells, the help box keeps %d at 80 columns", d.Key, d.Action, w, helpWidth)
		}
	}
	m, _ := newModel(t, &fakeActor{}, Options{}, 80, 24)
	v := ansi.Strip(view(press(t, m, "?")))
	if strings.Contains(v, "…") && !strings.Contains(v, "kind:…") {
		t.Errorf("help at 80×24 cuts an entry:\n%s", v)
	}
}

// TestHintDropsWholeItems: at 80 columns the pool view's key hint loses
// whole items from its end, never half of one ("q q…").
func TestHintDropsWholeItems(t *testing.T) {
	if got := fitHint("? help · d drain · esc back · q quit", 28); got != "? help · d drain · esc back" {
		t.Errorf("fitHint = %q", got)
	}
	m, _ := newModel(t, &fakeActor{}, Options{}, 80, 24)
	lines := strings.Split(ansi.Strip(view(openPoolNamed(t, m, "web"))), "\n")
	if hint := lines[len(lines)-2]; strings.Contains(hint, "…") || !strings.HasPrefix(hint, "? help · d drain") {
		t.Errorf("pool view hint at 80 columns: %q", hint)
	}
}

// TestPresenceShortWhenNarrow: at 80 columns a shared session's header
// names who watches only when the fleet's counts still fit; else it says
// how many.
func TestPresenceShortWhenNarrow(t *testing.T) {
	m, _ := newModel(t, &fakeActor{}, Options{Identity: "ana · operator"}, 80, 24)
	m = update(t, m, PresenceMsg{Text: "3 watching: ana, bob, carol-the-sre"})
	head := strings.SplitN(ansi.Strip(view(m)), "\n", 2)[0]
	if !strings.Contains(head, "[ana · operator · 3 watching]") || !strings.Contains(head, "no healthy upstream") {
		t.Errorf("header at 80 columns: %q", head)
	}
	m = update(t, m, tea.WindowSizeMsg{Width: 160, Height: 24})
	if head := strings.SplitN(ansi.Strip(view(m)), "\n", 2)[0]; !strings.Contains(head, "3 watching: ana, bob, carol-the-sre]") {
		t.Errorf("header at 160 columns: %q", head)
	}
}
