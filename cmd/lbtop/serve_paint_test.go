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
	p := &painter{w: &out, env: []string{"TERM=tmux-256color"}}
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
