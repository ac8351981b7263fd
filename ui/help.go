package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// helpLegend explains the marks used in the lists.
var helpLegend = []string{
	"✘ no healthy backend / backend out   ! partly unhealthy",
	"~ stale data (its source's last poll failed)   * action pending",
	"WHY: the diagnosis, red down, yellow degraded · Δ cause changed < 10 s",
}

// helpBox renders the key list; in two columns when one does not fit.
func (m *Model) helpBox(w, h int) []string {
	docs := m.replayDocs(m.keys.docs(m.opts.ReadOnly))
	var lines []string
	if m.opts.ReadOnly {
		lines = append(lines, m.readOnlyText(), "")
	}
	entry := func(d KeyDoc, kw int) string {
		s := fit(d.Key, kw, false) + " " + d.Action
		if d.Dangerous {
			s += " ⚠"
		}
		return s
	}
	bw := min(w-2, 96)
	inner := bw - 4
	if len(docs)+len(lines)+len(helpLegend)+3 <= h-2 {
		for _, d := range docs {
			lines = append(lines, entry(d, 8))
		}
	} else {
		half := (len(docs) + 1) / 2
		cw := (inner - 2) / 2
		for i := 0; i < half; i++ {
			l := fit(entry(docs[i], 8), cw, false)
			if i+half < len(docs) {
				l += "  " + fit(entry(docs[i+half], 8), cw, false)
			}
			lines = append(lines, l)
		}
	}
	lines = append(lines, "")
	lines = append(lines, helpLegend...)
	lines = append(lines, "", "? or esc closes this help")
	return boxWidth("lbtop keys", lines, bw, m.st.Box, m.st.Title)
}

// box frames lines under a title, sized to the content but at most w.
func box(title string, lines []string, w int, border, titleStyle Paint) []string {
	need := width(title) + 6
	for _, l := range lines {
		need = max(need, width(l)+4)
	}
	return boxWidth(title, lines, min(w-2, max(need, 44)), border, titleStyle)
}

// boxWidth draws a box exactly bw cells wide.
func boxWidth(title string, lines []string, bw int, border, titleStyle Paint) []string {
	bw = max(bw, 10)
	inner := bw - 4
	t := clip(title, bw-6)
	top := border.Render("┌─ ") + titleStyle.Render(t) + border.Render(" "+strings.Repeat("─", max(0, bw-5-width(t)))+"┐")
	out := []string{top}
	side := border.Render("│")
	for _, l := range lines {
		out = append(out, side+" "+fit(l, inner, false)+" "+side)
	}
	return append(out, border.Render("└"+strings.Repeat("─", bw-2)+"┘"))
}

// overlay draws box centred over the screen lines.
func overlay(lines, box []string, w int) {
	if len(box) == 0 {
		return
	}
	bw := width(box[0])
	y0 := max(0, (len(lines)-len(box))/2)
	x0 := max(0, (w-bw)/2)
	for i, b := range box {
		y := y0 + i
		if y >= len(lines) {
			break
		}
		l := lines[y]
		left := ansi.Truncate(l, x0, "")
		left += spaces(x0 - width(left))
		right := ""
		if width(l) > x0+bw {
			right = ansi.TruncateLeft(l, x0+bw, "")
		}
		lines[y] = clip(left+"\x1b[m"+b+"\x1b[m"+right, w)
	}
}
