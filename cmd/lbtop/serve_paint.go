package main

import (
	"bytes"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// painter is a serve session's renderer, in place of Bubble Tea's. Bubble
// Tea's renderer wakes up serveFPS times a second per program whether or
// not anything changed, and keeps two cell buffers of the screen (112
// bytes a cell: over a megabyte at 120×40, per session) to diff every cell
// of a new frame. The dashboard's frames are whole lines of styled text,
// so the painter diffs lines instead: it keeps the text of the lines it
// painted last and sends only the lines whose text changed, each as it
// is, on a line erased first. Its goroutine is the session terminal's one
// writer: a client that stops reading holds that goroutine only, and the
// frames it misses meanwhile are replaced by the newest.
type painter struct {
	w      io.Writer
	frames chan frame // one slot: the newest frame not painted yet
	quit   chan struct{}
	done   chan struct{}

	// Owned by the painting goroutine.
	out     bytes.Buffer
	conv    colorprofile.Writer // converts a line's colors for a terminal with fewer
	lines   []string            // the text of each screen line painted last
	width   int
	height  int
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

// needsConversion reports whether lines must have their colors converted
// for a terminal of profile p. The dashboard paints with the 256-color
// palette only (ui's styles; ui.TestStylesUsePaletteColors), which a
// 256-color or true-color terminal shows as it is; terminals with fewer
// colors, or none, get them converted (or dropped).
func needsConversion(p colorprofile.Profile) bool {
	return p != colorprofile.ANSI256 && p != colorprofile.TrueColor
}

// newPainter starts the painter of the terminal w.
func newPainter(w io.Writer) *painter {
	p := &painter{w: w, frames: make(chan frame, 1), quit: make(chan struct{}), done: make(chan struct{})}
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
// them after a resize or a change of color profile. Each line is drawn on
// a line erased first, which leaves no tail of a longer line it replaces;
// a line wider than the terminal (the dashboard fits its lines to the
// width, so only a bug makes one) is cut, not wrapped onto the next. The
// frame goes out in one write, inside synchronized output for the
// terminals that know it. Autowrap stays on: a client killed mid-session
// cannot restore the terminal, and its shell should not be left without
// it.
func (p *painter) paint(f frame) error {
	if f.width <= 0 || f.height <= 0 {
		return nil
	}
	p.out.Reset()
	p.out.WriteString(ansi.SetModeSynchronizedOutput)
	if !p.started {
		p.out.WriteString(ansi.SetModeAltScreenSaveCursor + ansi.ResetModeTextCursorEnable +
			ansi.SetModeBracketedPaste)
		p.started = true
		p.lines = nil
	}
	if f.width != p.width || f.height != p.height || f.profile != p.profile {
		p.width, p.height, p.profile = f.width, f.height, f.profile
		p.conv = colorprofile.Writer{Forward: &p.out, Profile: f.profile}
		p.out.WriteString(ansi.ResetStyle + ansi.EraseEntireScreen)
		p.lines = nil // the screen is blank: every line of text is drawn
	}
	lines := strings.Split(f.content, "\n")
	if len(lines) > f.height { // as Bubble Tea does: the top lines go
		lines = lines[len(lines)-f.height:]
	}
	drawn := 0
	for y := range f.height {
		line, was := "", ""
		if y < len(lines) {
			line = lines[y]
		}
		if y < len(p.lines) {
			was = p.lines[y]
		}
		if line == was {
			continue
		}
		if !surelyFits(line, f.width) && ansi.StringWidthWc(line) > f.width {
			line = ansi.TruncateWc(line, f.width, "")
		}
		p.out.WriteString(ansi.CursorPosition(1, y+1) + ansi.EraseEntireLine)
		if needsConversion(f.profile) {
			_, _ = p.conv.WriteString(line)
		} else {
			p.out.WriteString(line)
		}
		p.out.WriteString(ansi.ResetStyle)
		drawn++
	}
	p.lines = lines
	if drawn == 0 && p.out.Len() == len(ansi.SetModeSynchronizedOutput) {
		return nil
	}
	p.out.WriteString(ansi.ResetModeSynchronizedOutput)
	_, err := p.w.Write(p.out.Bytes())
	return err
}

// surelyFits reports, without measuring the text, that line is no wider
// than w cells: counting an ASCII byte outside its CSI (SGR) sequences as
// one cell and any other character as two (none is wider), it comes to
// at most w. It answers false when it cannot tell (more than w, or
// another kind of escape), and the line is then measured as terminals
// measure, by wcwidth.
func surelyFits(line string, w int) bool {
	n := 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == ansi.ESC:
			if i+1 >= len(line) || line[i+1] != '[' {
				return false
			}
			i += 2
			for i < len(line) && (line[i] < 0x40 || line[i] > 0x7e) { // parameters up to the final byte
				i++
			}
			continue
		case c < 0x80:
			n++
		case c >= 0xc0: // the first byte of a character
			n += 2
		}
		if n > w {
			return false
		}
	}
	return true
}

// restore gives the terminal back as the session found it.
func (p *painter) restore() {
	if !p.started {
		return
	}
	p.out.Reset()
	p.out.WriteString(ansi.ResetStyle + ansi.CursorPosition(1, p.height) +
		ansi.ResetModeAltScreenSaveCursor + ansi.SetModeTextCursorEnable + ansi.ResetModeBracketedPaste)
	_, _ = p.w.Write(p.out.Bytes())
}
