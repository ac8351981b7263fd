package main

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/lbtop/lbtop/ui"
)

// TestPainterOnRealTerminal paints a run of dashboard frames (each poll
// moves rates and states, so some lines change and others do not), plays
// the bytes in a real terminal (tmux) of the frames' size and reads the
// screen back: it must be the last frame exactly, although only changed
// lines were sent after the first. Then the painter gives the terminal
// back: the dashboard is gone and the cursor is shown.
func TestPainterOnRealTerminal(t *testing.T) {
	t.Parallel()
	tmux := needTool(t, "tmux")
	const w, h = 100, 24
	store := newStore(nil)
	feed := newFleetFeed(store, slog.New(slog.DiscardHandler), nil, nil)
	var m tea.Model = ui.New(nil, ui.Options{ReadOnly: true, User: "u", Identity: "u · viewer"})
	m, _ = m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	var out bytes.Buffer
	p := &painter{w: &out}
	var sizes []int
	var last string
	for i := range 6 {
		m, _ = m.Update(feed.next(benchSnapshot(i)))
		if i == 4 {
			m, _ = m.Update(tea.KeyPressMsg{Code: 'j', Text: "j"}) // the cursor moves: two lines change
		}
		last = m.View().Content
		before := out.Len()
		if err := p.paint(frame{content: last, width: w, height: h, profile: colorprofile.ANSI256}); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, out.Len()-before)
	}
	for i, n := range sizes[1:] {
		if n >= sizes[0] {
			t.Errorf("frame %d took %d bytes, the first (whole screen) %d: want only the changed lines", i+1, n, sizes[0])
		}
	}
	dir := t.TempDir()
	paint, restore := filepath.Join(dir, "paint"), filepath.Join(dir, "restore")
	if err := os.WriteFile(paint, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	p.restore()
	if err := os.WriteFile(restore, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "tmux.sock")
	run := func(args ...string) string {
		t.Helper()
		b, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, b)
		}
		return string(b)
	}
	t.Cleanup(func() { _ = exec.Command(tmux, "-S", sock, "kill-server").Run() })
	done1, done2 := filepath.Join(dir, "done1"), filepath.Join(dir, "done2")
	sh := "stty -echo; cat " + paint + "; touch " + done1 + "; read x; cat " + restore + "; touch " + done2 + "; sleep 600"
	run("new-session", "-d", "-s", "p", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), sh)
	waitFile(t, done1)
	got := trimLines(run("capture-pane", "-p", "-t", "p"))
	want := trimLines(ansi.Strip(last))
	if got != want {
		t.Errorf("the terminal shows\n%s\nwant the last frame\n%s", got, want)
	}
	run("send-keys", "-t", "p", "Enter")
	waitFile(t, done2)
	if s := run("capture-pane", "-p", "-t", "p"); strings.Contains(s, "POOL") {
		t.Errorf("the dashboard is still on screen after restore:\n%s", s)
	}
	if c := strings.TrimSpace(run("display-message", "-p", "-t", "p", "#{cursor_flag}#{alternate_on}")); c != "10" {
		t.Errorf("cursor shown, alternate screen = %q; want 10 (shown, off)", c)
	}
}

// trimLines drops trailing spaces of each line and trailing empty lines.
func trimLines(s string) string {
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(ls, "\n"), "\n")
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	for range 100 {
		if _, err := os.Stat(path); err == nil {
			time.Sleep(100 * time.Millisecond) // tmux has drawn what cat wrote
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not written in 5 s", path)
}

// TestPainterFrames: what the painter sends for a run of frames: the
// first draws every line that has text, an unchanged frame sends
// nothing, a changed line goes alone, a line wider than the terminal is
// cut at its edge (by wcwidth: a wide character counts two), and a resize
// or another color profile draws the whole screen again.
func TestPainterFrames(t *testing.T) {
	var out bytes.Buffer
	p := &painter{w: &out}
	paint := func(content string, w, h int, prof colorprofile.Profile) string {
		t.Helper()
		out.Reset()
		if err := p.paint(frame{content: content, width: w, height: h, profile: prof}); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	drawn := func(s string) []string { // the text of each line drawn, in order
		var ls []string
		for _, part := range strings.Split(s, ansi.EraseEntireLine)[1:] {
			ls = append(ls, strings.TrimSuffix(ansi.Strip(part), "\n"))
		}
		return ls
	}
	first := paint("one\n\nthree", 10, 4, colorprofile.ANSI256)
	if !strings.Contains(first, ansi.SetModeAltScreenSaveCursor) || !strings.Contains(first, ansi.EraseEntireScreen) {
		t.Errorf("first frame %q: want the alternate screen and the screen erased", first)
	}
	if got := drawn(first); strings.Join(got, "|") != "one|three" {
		t.Errorf("first frame drew %q, want one and three (blank lines are blank already)", got)
	}
	if s := paint("one\n\nthree", 10, 4, colorprofile.ANSI256); s != "" {
		t.Errorf("an unchanged frame sent %q, want nothing", s)
	}
	s := paint("one\n\nTHREE", 10, 4, colorprofile.ANSI256)
	if got := drawn(s); len(got) != 1 || got[0] != "THREE" || !strings.Contains(s, ansi.CursorPosition(1, 3)) {
		t.Errorf("changed line 3 sent %q (%q), want THREE alone at row 3", s, got)
	}
	wide := strings.Repeat("世", 8) // 16 cells
	s = paint("one\n"+strings.Repeat("x", 14)+"\n"+wide, 10, 4, colorprofile.ANSI256)
	if got := drawn(s); strings.Join(got, "|") != "xxxxxxxxxx|世世世世世" {
		t.Errorf("wide lines drew %q, want each cut at 10 cells", got)
	}
	s = paint("one\n\nthree", 12, 4, colorprofile.ANSI256)
	if !strings.Contains(s, ansi.EraseEntireScreen) || strings.Join(drawn(s), "|") != "one|three" {
		t.Errorf("after a resize sent %q: want the screen erased and every line drawn", s)
	}
	s = paint("\x1b[38;5;196mred\x1b[m", 12, 4, colorprofile.ANSI)
	if !strings.Contains(s, ansi.EraseEntireScreen) || strings.Contains(s, "38;5;196") || !strings.Contains(s, "red") {
		t.Errorf("a 16-color terminal got %q: want the screen redrawn, the color converted", s)
	}
	s = paint("\x1b[38;5;196mRED\x1b[m", 12, 4, colorprofile.Ascii)
	if strings.Contains(s, "38;5") || strings.Contains(s, "[91m") || !strings.Contains(s, "RED") {
		t.Errorf("a terminal without colors got %q: want the text without its color", s)
	}
	out.Reset()
	p.restore()
	if s := out.String(); !strings.Contains(s, ansi.ResetModeAltScreenSaveCursor) || !strings.Contains(s, ansi.SetModeTextCursorEnable) {
		t.Errorf("restore sent %q: want the main screen and the cursor back", s)
	}
}

// TestSurelyFits: the quick test never says a line fits when it does
// not, and says so for the common dashboard line (ASCII and SGR).
func TestSurelyFits(t *testing.T) {
	for _, c := range []struct {
		line string
		w    int
		want bool
	}{
		{"abc", 3, true},
		{"abcd", 3, false},
		{"\x1b[38;5;196mabc\x1b[m", 3, true},
		{"世", 2, true},
		{"世a", 2, false},
		{"│ab", 3, false}, // one cell, but counted as two: measured
		{"\x1b]8;;http://x\x07ab", 10, false},
		{"ab\x1b", 10, false},
	} {
		if got := surelyFits(c.line, c.w); got != c.want {
			t.Errorf("surelyFits(%q, %d) = %v, want %v", c.line, c.w, got, c.want)
		}
		if surelyFits(c.line, c.w) && ansi.StringWidthWc(c.line) > c.w {
			t.Errorf("surelyFits(%q, %d): the line is %d wide", c.line, c.w, ansi.StringWidthWc(c.line))
		}
	}
}
