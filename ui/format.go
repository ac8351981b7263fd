package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/clipperhouse/displaywidth"

	"github.com/lbtop/lbtop/model"
)

// fmtCount renders a count compactly: 999, 1.2k, 3.4M.
func fmtCount(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	var s string
	switch {
	case n < 1000:
		s = strconv.FormatInt(n, 10)
	case n < 1_000_000:
		s = strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + "k"
	case n < 1_000_000_000:
		s = strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + "M"
	default:
		s = strconv.FormatFloat(float64(n)/1e9, 'f', 1, 64) + "G"
	}
	if neg {
		return "-" + s
	}
	return s
}

// fmtRate renders a per-second rate with one decimal, compacting large
// values (1.2k). ok=false (no rate known yet) renders as "-".
func fmtRate(r float64, ok bool) string {
	switch {
	case !ok:
		return "-"
	case r < 1000:
		return strconv.FormatFloat(r, 'f', 1, 64)
	case r < 1e6:
		return strconv.FormatFloat(r/1e3, 'f', 1, 64) + "k"
	default:
		return strconv.FormatFloat(r/1e6, 'f', 1, 64) + "M"
	}
}

// fmtAge renders a duration the one way lbtop shows ages everywhere
// (model.Ago): 12s, 3m, 2h, 4d; negative durations (clock skew) as 0s.
func fmtAge(d time.Duration) string { return model.Ago(d) }

// fmtWeight renders a weight; the model uses -1 for "not reported".
func fmtWeight(w int) string {
	if w < 0 {
		return "-"
	}
	return strconv.Itoa(w)
}

// spaces returns n blanks without allocating for common widths.
func spaces(n int) string {
	const blank = "                                                                                                                                "
	if n <= 0 {
		return ""
	}
	if n <= len(blank) {
		return blank[:n]
	}
	return strings.Repeat(" ", n)
}

// measure measures text as lipgloss and ansi.StringWidth do (grapheme
// clusters; escape sequences take no room), with displaywidth, the
// library under them, called directly: ansi.StringWidth walks the text
// one cluster at a time through its own parser, and was a fifth of a
// pools frame for cells with a glyph or a sparkline.
var measure = displaywidth.Options{ControlSequences: true}

// width is the display width of s (ASCII fast path).
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return measure.String(s)
		}
	}
	return len(s)
}

// fit cuts s to w cells (with an ellipsis) and pads it to exactly w cells,
// on the left when right is set so numbers line up.
func fit(s string, w int, right bool) string {
	var sb strings.Builder
	writeFit(&sb, s, w, right)
	return sb.String()
}

// writeFit writes fit(s, w, right) to sb.
func writeFit(sb *strings.Builder, s string, w int, right bool) {
	if w <= 0 {
		return
	}
	sw := width(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = width(s)
	}
	if right {
		sb.WriteString(spaces(w - sw))
	}
	sb.WriteString(s)
	if !right {
		sb.WriteString(spaces(w - sw))
	}
}

// clip cuts a finished (possibly styled) line to the terminal width.
func clip(s string, w int) string {
	if width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// clipMiddle shortens plain text to w cells by cutting its middle, so an
// error keeps both its endpoint and its final cause.
func clipMiddle(s string, w int) string {
	sw := width(s)
	if sw <= w || w < 5 {
		return s
	}
	head := (w - 1) / 2
	return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, sw-(w-1-head), "")
}
