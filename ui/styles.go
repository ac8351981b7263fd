package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
)

// Paint is a Lip Gloss style reduced to the escape sequences around its
// text. The UI's styles are colours and attributes only (no padding,
// borders or widths), for which Lip Gloss renders exactly prefix + text +
// suffix; applying them as two concatenations keeps a 100k-backend frame
// within budget (Style.Render costs more than the rest of a frame).
type Paint struct {
	pre, post string
}

// paintOf derives the escape sequences of a style from one rendering.
func paintOf(s lipgloss.Style) Paint {
	const probe = "\x00"
	r := s.Render(probe)
	i := strings.Index(r, probe)
	if i < 0 {
		return Paint{}
	}
	return Paint{pre: r[:i], post: r[i+len(probe):]}
}

// Render styles one line of text.
func (p Paint) Render(s string) string {
	if p.pre == "" || s == "" {
		return s
	}
	return p.pre + s + p.post
}

// Styles holds every style the UI uses, built once by newStyles. With
// NoColor only attributes (bold, faint, reverse) are used, so the marks
// (✘, !, ~) carry the meaning.
type Styles struct {
	Title    Paint
	Header   Paint // column headers
	Dim      Paint // secondary text, hints
	Selected Paint // the cursor row

	RowBad   Paint // pool with no healthy backend
	RowWarn  Paint // pool partly unhealthy
	RowStale Paint // data from a source whose last poll failed

	CellBad  Paint // "✘ 0/3", unhealthy or down backend
	CellWarn Paint // "! 2/3", draining, unknown
	// CellNotice is a pool that serves fully with something off (a
	// diagnosis in the warning state).
	CellNotice Paint
	CellOK     Paint // healthy
	Pending    Paint // an action sent, not yet confirmed

	SourceOK  Paint
	SourceBad Paint

	MsgInfo  Paint
	MsgOK    Paint
	MsgWarn  Paint
	MsgError Paint

	Box       Paint // dialog border
	BoxDanger Paint // border and warning of a whole-proxy action
}

// styleSet is the Lip Gloss form of Styles.
type styleSet struct {
	Title, Header, Dim, Selected                         lipgloss.Style
	RowBad, RowWarn, RowStale                            lipgloss.Style
	CellBad, CellWarn, CellNotice, CellOK, Pending       lipgloss.Style
	SourceOK, SourceBad, MsgInfo, MsgOK, MsgWarn, MsgErr lipgloss.Style
	Box, BoxDanger                                       lipgloss.Style
}

func newStyles(noColor bool) Styles {
	l := lipglossStyles(noColor)
	return Styles{
		Title: paintOf(l.Title), Header: paintOf(l.Header), Dim: paintOf(l.Dim), Selected: paintOf(l.Selected),
		RowBad: paintOf(l.RowBad), RowWarn: paintOf(l.RowWarn), RowStale: paintOf(l.RowStale),
		CellBad: paintOf(l.CellBad), CellWarn: paintOf(l.CellWarn), CellNotice: paintOf(l.CellNotice), CellOK: paintOf(l.CellOK), Pending: paintOf(l.Pending),
		SourceOK: paintOf(l.SourceOK), SourceBad: paintOf(l.SourceBad),
		MsgInfo: paintOf(l.MsgInfo), MsgOK: paintOf(l.MsgOK), MsgWarn: paintOf(l.MsgWarn), MsgError: paintOf(l.MsgErr),
		Box: paintOf(l.Box), BoxDanger: paintOf(l.BoxDanger),
	}
}

func lipglossStyles(noColor bool) styleSet {
	n := lipgloss.NewStyle()
	if noColor {
		return styleSet{
			Title:      n.Bold(true),
			Header:     n.Bold(true),
			Dim:        n.Faint(true),
			Selected:   n.Reverse(true),
			RowBad:     n.Bold(true),
			RowWarn:    n,
			RowStale:   n.Faint(true),
			CellBad:    n.Bold(true),
			CellWarn:   n,
			CellNotice: n,
			CellOK:     n,
			Pending:    n.Bold(true),
			SourceOK:   n,
			SourceBad:  n.Bold(true),
			MsgInfo:    n,
			MsgOK:      n,
			MsgWarn:    n.Bold(true),
			MsgErr:     n.Bold(true),
			Box:        n,
			BoxDanger:  n.Bold(true),
		}
	}
	red := lipgloss.Color("1")
	green := lipgloss.Color("2")
	yellow := lipgloss.Color("3")
	cyan := lipgloss.Color("6")
	grey := lipgloss.Color("8")
	return styleSet{
		Title:      n.Bold(true).Foreground(cyan),
		Header:     n.Bold(true).Foreground(grey),
		Dim:        n.Foreground(grey),
		Selected:   n.Reverse(true),
		RowBad:     n.Bold(true).Foreground(red).Background(lipgloss.Color("52")),
		RowWarn:    n.Foreground(yellow),
		RowStale:   n.Foreground(grey),
		CellBad:    n.Bold(true).Foreground(red),
		CellWarn:   n.Foreground(yellow),
		CellNotice: n.Foreground(lipgloss.Color("5")),
		CellOK:     n.Foreground(green),
		Pending:    n.Bold(true).Foreground(cyan),
		SourceOK:   n.Foreground(green),
		SourceBad:  n.Bold(true).Foreground(red),
		MsgInfo:    n,
		MsgOK:      n.Foreground(green),
		MsgWarn:    n.Foreground(yellow),
		MsgErr:     n.Bold(true).Foreground(red),
		Box:        n.Foreground(cyan),
		BoxDanger:  n.Bold(true).Foreground(red),
	}
}
