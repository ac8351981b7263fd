package ui

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lbtop/lbtop/model"
)

// hostileTexts are what misbehaving sources sent in names and errors: a
// title change, a screen clear, blink and colour that would spill into the
// next cell (and make a down backend look healthy), a C1 CSI, a
// right-to-left override.
var hostileTexts = []string{
	"\x1b]2;pwned\x07",
	"\x1b[2J",
	"\x1b[5;32mhealthy\x1b[0m",
	"\u009b31m",
	"\u202eevil",
}

// hostileFleet is one HAProxy source whose pool, backend names, reasons
// and notes carry hostileTexts, passed through esc first (identity for
// the raw fleet, SafeText for the reference).
func hostileFleet(esc func(string) string) *model.Fleet {
	var bs []model.Backend
	for i, h := range hostileTexts {
		bs = append(bs, model.Backend{
			Name: esc("web" + h), Address: esc("10.0.0." + string(rune('1'+i)) + ":80" + h),
			Health: model.Unhealthy, Reason: esc("DOWN " + h), Weight: 1,
		})
	}
	bs = append(bs, model.Backend{Name: "plain", Address: "10.0.0.9:80", Health: model.Down, Reason: "MAINT", Weight: 1})
	st := model.NewStore(fixedNow)
	st.Ingest(model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: t0, Pools: []model.Pool{
		{Name: esc("shop" + hostileTexts[2]), Note: esc("note " + hostileTexts[0]), Backends: bs},
		{Name: "plain", Backends: []model.Backend{{Name: "p1", Health: model.Healthy, Reason: "UP", Weight: 1}}},
	}})
	return st.Ingest(model.Snapshot{Source: "edge", Kind: model.KindEnvoy, At: t0,
		Err: errors.New(esc("502 Bad Gateway " + strings.Join(hostileTexts, " ")))})
}

// frames renders the pools screen and the hostile pool's backends screen.
func frames(t *testing.T, f *model.Fleet, w, h int) []string {
	t.Helper()
	m := New(&fakeActor{}, Options{Now: fixedNow, NoColor: true})
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	m = update(t, m, FleetMsg{Fleet: f})
	out := []string{view(m)}
	m = openPoolNamed(t, m, f.Pools[f.Select(model.Query{})[0]].Name)
	return append(out, view(m))
}

// TestHostileTextIsInert: a frame of a fleet whose source sent escape
// sequences is byte for byte the frame of a fleet that sent their escaped
// forms as plain text, and holds no control byte, C1 or bidi control.
func TestHostileTextIsInert(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {160, 40}} {
		raw := frames(t, hostileFleet(func(s string) string { return s }), size[0], size[1])
		ref := frames(t, hostileFleet(model.SafeText), size[0], size[1])
		for i := range raw {
			checkFrame(t, raw[i], size[0], size[1])
			if raw[i] != ref[i] {
				t.Errorf("%dx%d frame %d differs from the frame of the escaped text:\n%s\n---\n%s", size[0], size[1], i, raw[i], ref[i])
			}
			plain := ansi.Strip(raw[i])
			if !strings.Contains(plain, `\x1b`) {
				t.Errorf("frame %d does not show the escape as text:\n%s", i, plain)
			}
			for _, r := range plain {
				if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || r == utf8.RuneError {
					t.Fatalf("frame %d holds %U:\n%q", i, r, plain)
				}
			}
			// Only lipgloss's own styling may emit escapes: select graphic
			// rendition and nothing else (no OSC title, no erase).
			for _, seq := range escapes(raw[i]) {
				if !strings.HasPrefix(seq, "\x1b[") || !strings.HasSuffix(seq, "m") {
					t.Errorf("frame %d emits %q", i, seq)
				}
			}
		}
		// Health cells line up: on the backends screen every row's
		// health word starts in the same column.
		col := -1
		for _, l := range strings.Split(ansi.Strip(raw[1]), "\n") {
			for _, word := range []string{"unhealthy", "down "} {
				if i := strings.Index(l, word); i >= 0 && strings.Contains(l, "10.0.0.") {
					c := ansi.StringWidth(l[:i])
					if col >= 0 && c != col {
						t.Errorf("health at column %d, earlier rows at %d: %q", c, col, l)
					}
					col = c
					break
				}
			}
		}
		if col < 0 {
			t.Errorf("no backend rows found:\n%s", ansi.Strip(raw[1]))
		}
	}
}

// escapes lists every escape sequence in s.
func escapes(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], 0x1b)
		if j < 0 {
			break
		}
		i += j
		k := i + 1
		if k < len(s) && s[k] == '[' {
			k++
			for k < len(s) && (s[k] < 0x40 || s[k] > 0x7e) {
				k++
			}
		}
		k = min(k+1, len(s))
		out = append(out, s[i:k])
		i = k
	}
	return out
}

// hugeError is a source error of n bytes, as a server that answered with
// a 200 MB first line produced before the sources bounded their reads.
func hugeError(n int) error {
	return errors.New("bad reply: " + strings.Repeat("\x1b[31mX", n/6))
}

// TestHugeSourceErrorKeepsKeysCheap: a 200 MB error text arrives while the
// dashboard runs. The Store cuts it, so one frame stays the size of the
// screen and `?` and `q` are answered by plain Update calls: the work per
// key is bounded by the screen, not by what the source sent. (Wall-clock
// figures are in BenchmarkHugeErrorIngestView.)
func TestHugeSourceErrorKeepsKeysCheap(t *testing.T) {
	m, f := newModel(t, &fakeActor{}, Options{}, 80, 24)
	fleet := f.store.Ingest(model.Snapshot{Source: "edge", Kind: model.KindEnvoy, At: t0, Err: hugeError(200 << 20)})
	for _, s := range fleet.Sources {
		if len(s.Err) > model.MaxErrorText+16 {
			t.Fatalf("source %s keeps a %d-byte error", s.Name, len(s.Err))
		}
	}
	m = update(t, m, FleetMsg{Fleet: fleet})
	bound := 80 * 24 * 16 // bytes: 16 per cell is generous for styled text
	for _, k := range []string{"", "?"} {
		if k != "" {
			m = press(t, m, k)
		}
		out := view(m)
		checkFrame(t, out, 80, 24)
		if len(out) > bound {
			t.Fatalf("after %q the frame is %d bytes (bound %d)", k, len(out), bound)
		}
	}
	if !m.over.help {
		t.Fatal("? did not open the help")
	}
	m = press(t, m, "q") // closes the help
	_, cmd := updateCmd(t, m, keyMsg("q"))
	if cmd == nil {
		t.Fatal("q returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q did not quit")
	}
}

// BenchmarkHugeErrorIngestView is one poll of a source whose error was
// 200 MB, through Ingest, Update and View.
func BenchmarkHugeErrorIngestView(b *testing.B) {
	err := hugeError(200 << 20)
	st := model.NewStore(fixedNow)
	st.Ingest(model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: t0, Pools: lb1Pools(1, model.Healthy, "UP", 10)})
	m := New(&fakeActor{}, Options{Now: fixedNow})
	m = update(b, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	b.ReportAllocs()
	for b.Loop() {
		f := st.Ingest(model.Snapshot{Source: "edge", Kind: model.KindEnvoy, At: t0, Err: err})
		m = update(b, m, FleetMsg{Fleet: f})
		_ = m.View()
	}
}

// TestEscapedBackendRefusesActions: a backend shown under an escaped name
// cannot be acted on; the key says why and no dialog opens.
func TestEscapedBackendRefusesActions(t *testing.T) {
	t.Parallel()
	actor := &fakeActor{}
	m := New(actor, Options{Now: fixedNow, NoColor: true, Executor: lb1Runner(actor)})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
	f := hostileFleet(func(s string) string { return s })
	m = update(t, m, FleetMsg{Fleet: f})
	m = openPoolNamed(t, m, model.SafeText("shop"+hostileTexts[2]))
	for _, k := range []string{"d", "m", "r"} {
		m = press(t, m, k)
		if m.dialog.open || !strings.Contains(m.msg.text, "refused") || !strings.Contains(m.msg.text, "escaped") {
			t.Fatalf("%s: dialog %v, message %q", k, m.dialog.open, m.msg.text)
		}
	}
	if actor.calls != 0 {
		t.Fatalf("%d actions sent", actor.calls)
	}
}
