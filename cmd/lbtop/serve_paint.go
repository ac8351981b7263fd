package main

import (
	"bytes"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
)

// painter is a serve session's renderer, in place of Bubble Tea's. Bubble
// Tea's renderer wakes up serveFPS times a second per program whether or
// not anything changed, and redraws and diffs every cell of a new frame;
// with dozens of idle dashboards in one process those wake-ups and full
// diffs were most of a session's cost. The painter draws only when the
// dashboard built a new frame, and hands the terminal diff (Ultraviolet's
// TerminalRenderer, the engine under Bubble Tea's own renderer) only the
// lines whose text changed. Its goroutine is the session terminal's one
// writer: a client that stops reading holds that goroutine only, and the
// frames it misses meanwhile are replaced by the newest.
type painter struct {
	w      io.Writer
	env    []string
	frames chan frame // one slot: the newest frame not painted yet
	quit   chan struct{}
	done   chan struct{}

	// Owned by the painting goroutine.
	out     bytes.Buffer
	scr     *uv.TerminalRenderer
	buf     uv.ScreenBuffer
	row     *uv.Buffer // one line, drawn before it is copied into buf
	lines   []string   // the text of each screen line painted last
	profile colorprofile.Profile
	started bool
}

// frame is one screen: the dashboard's content and the terminal it is
// for.
type frame struct {
	content       string
	width, height int
	profile       colorprofile.Profile
}

// conversion is the color profile the renderer converts each cell's colors
// to. The dashboard paints with the 256-color palette only (ui's styles;
// ui.TestStylesUsePaletteColors), which a 256-color or true-color terminal
// shows as it is: converting every cell emitted (a map lookup per color)
// was a third of a frame, for no change. Terminals with fewer colors, or
// none, still get their colors converted.
func conversion(p colorprofile.Profile) colorprofile.Profile {
	if p == colorprofile.ANSI256 {
		return colorprofile.TrueColor
	}
	return p
}

// newPainter starts the painter of the terminal w, whose environment
// (TERM, COLORTERM) is env.
func newPainter(w io.Writer, env []string) *painter {
	p := &painter{w: w, env: env, frames: make(chan frame, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// show hands the painter a frame; a frame still waiting is dropped. It
// never blocks.
func (p *painter) show(f frame) {
	for {
		select {
		case p.frames <- f:
			return
		default:
		}
		select {
		case <-p.frames:
		default:
		}
	}
}

// stop paints the last frame waiting, gives the terminal back (leaves the
// alternate screen, shows the cursor) and ends the painter. It waits at
// most wait for a client that is not reading.
func (p *painter) stop(wait time.Duration) {
	close(p.quit)
	select {
	case <-p.done:
	case <-time.After(wait):
	}
}

func (p *painter) run() {
	defer close(p.done)
	for {
		select {
		case f := <-p.frames:
			if p.paint(f) != nil {
				return // the client is gone
			}
		case <-p.quit:
			select {
			case f := <-p.frames:
				_ = p.paint(f)
			default:
			}
			p.restore()
			return
		}
	}
}

// paint draws f: the lines that changed since the last frame, or all of
// them after a resize or a change of color profile.
func (p *painter) paint(f frame) error {
	if f.width <= 0 || f.height <= 0 {
		return nil
	}
	full := false
	if !p.started {
		p.start(f)
		p.out.WriteString(ansi.SetModeAltScreenSaveCursor + ansi.ResetModeTextCursorEnable + ansi.SetModeBracketedPaste)
		full = true
	}
	if f.profile != p.profile {
		p.profile = f.profile
		p.scr.SetColorProfile(conversion(f.profile))
		p.scr.Erase()
		full = true
	}
	if f.width != p.buf.Width() || f.height != p.buf.Height() {
		p.buf.Resize(f.width, f.height)
		p.scr.Resize(f.width, f.height)
		p.scr.Erase()
		full = true
	}
	lines := strings.Split(f.content, "\n")
	if len(lines) > f.height { // as Bubble Tea does: the top lines go
		lines = lines[len(lines)-f.height:]
	}
	for y := range f.height {
		line := ""
		if y < len(lines) {
			line = lines[y]
		}
		if !full && y < len(p.lines) && p.lines[y] == line {
			continue
		}
		p.drawLine(y, line)
	}
	p.lines = lines
	p.scr.Render(p.buf.RenderBuffer)
	if err := p.scr.Flush(); err != nil {
		return err
	}
	if p.out.Len() == 0 {
		return nil
	}
	_, err := p.w.Write(p.out.Bytes())
	p.out.Reset()
	return err
}

// drawLine draws one line of text into row y of buf. It is drawn on a
// plain one-line buffer, then copied and the row marked for the diff:
// drawn on buf itself, every cell would be compared with the one it
// replaces, twice (clearing, then writing), to learn what Render works out
// anyway.
func (p *painter) drawLine(y int, text string) {
	w := p.buf.Width()
	if p.row == nil || p.row.Width() != w {
		p.row = uv.NewBuffer(w, 1)
	}
	p.row.Clear()
	uv.NewStyledString(text).Draw(lineScreen{p.row}, p.row.Bounds())
	copy(p.buf.Lines[y], p.row.Lines[0])
	p.buf.TouchLine(0, y, w)
}

// lineScreen is a plain buffer drawn on as a screen, measuring text as
// Bubble Tea's screen does (wcwidth).
type lineScreen struct{ *uv.Buffer }

// WidthMethod implements uv.Screen.
func (lineScreen) WidthMethod() uv.WidthMethod { return ansi.WcWidth }

// start sets up the terminal renderer as Bubble Tea's does for a program
// on the alternate screen of a terminal it reaches without a local TTY
// (newlines map to CR LF; no hard tabs, no backspace moves).
func (p *painter) start(f frame) {
	p.scr = uv.NewTerminalRenderer(&p.out, p.env)
	p.scr.SetTabStops(-1)
	p.scr.SetBackspace(false)
	p.scr.SetMapNewline(true)
	p.scr.SetScrollOptim(false)
	p.profile = f.profile
	p.scr.SetColorProfile(conversion(f.profile))
	p.scr.SaveCursor()
	p.scr.SetFullscreen(true)
	p.scr.SetRelativeCursor(false)
	p.scr.Erase()
	p.buf = uv.NewScreenBuffer(f.width, f.height)
	p.scr.Resize(f.width, f.height)
	p.started = true
}

// restore gives the terminal back as the session found it.
func (p *painter) restore() {
	if !p.started {
		return
	}
	p.scr.MoveTo(0, p.buf.Height()-1)
	_ = p.scr.Flush()
	tail := ansi.ResetModeAltScreenSaveCursor + ansi.SetModeTextCursorEnable + ansi.ResetModeBracketedPaste
	_, _ = p.w.Write(append(p.out.Bytes(), tail...))
	p.out.Reset()
}
