package ui

import "charm.land/lipgloss/v2"

// Styles holds every style the UI uses, built once by newStyles. With
// NoColor only attributes (bold, faint, reverse) are used, so the marks
// (✘, !, ~) carry the meaning.
type Styles struct {
	Title    lipgloss.Style
	Header   lipgloss.Style // column headers
	Dim      lipgloss.Style // secondary text, hints
	Selected lipgloss.Style // the cursor row

	RowBad   lipgloss.Style // pool with no healthy backend
	RowWarn  lipgloss.Style // pool partly unhealthy
	RowStale lipgloss.Style // data from a source whose last poll failed

	CellBad  lipgloss.Style // "✘ 0/3", unhealthy or down backend
	CellWarn lipgloss.Style // "! 2/3", draining, unknown
	CellOK   lipgloss.Style // healthy
	Pending  lipgloss.Style // an action sent, not yet confirmed

	SourceOK  lipgloss.Style
	SourceBad lipgloss.Style

	MsgInfo  lipgloss.Style
	MsgOK    lipgloss.Style
	MsgWarn  lipgloss.Style
	MsgError lipgloss.Style

	Box       lipgloss.Style // dialog border
	BoxDanger lipgloss.Style // border and warning of a whole-proxy action
}

func newStyles(noColor bool) Styles {
	n := lipgloss.NewStyle()
	if noColor {
		return Styles{
			Title:     n.Bold(true),
			Header:    n.Bold(true),
			Dim:       n.Faint(true),
			Selected:  n.Reverse(true),
			RowBad:    n.Bold(true),
			RowWarn:   n,
			RowStale:  n.Faint(true),
			CellBad:   n.Bold(true),
			CellWarn:  n,
			CellOK:    n,
			Pending:   n.Bold(true),
			SourceOK:  n,
			SourceBad: n.Bold(true),
			MsgInfo:   n,
			MsgOK:     n,
			MsgWarn:   n.Bold(true),
			MsgError:  n.Bold(true),
			Box:       n,
			BoxDanger: n.Bold(true),
		}
	}
	red := lipgloss.Color("1")
	green := lipgloss.Color("2")
	yellow := lipgloss.Color("3")
	cyan := lipgloss.Color("6")
	grey := lipgloss.Color("8")
	return Styles{
		Title:     n.Bold(true).Foreground(cyan),
		Header:    n.Bold(true).Foreground(grey),
		Dim:       n.Foreground(grey),
		Selected:  n.Reverse(true),
		RowBad:    n.Bold(true).Foreground(red).Background(lipgloss.Color("52")),
		RowWarn:   n.Foreground(yellow),
		RowStale:  n.Foreground(grey),
		CellBad:   n.Bold(true).Foreground(red),
		CellWarn:  n.Foreground(yellow),
		CellOK:    n.Foreground(green),
		Pending:   n.Bold(true).Foreground(cyan),
		SourceOK:  n.Foreground(green),
		SourceBad: n.Bold(true).Foreground(red),
		MsgInfo:   n,
		MsgOK:     n.Foreground(green),
		MsgWarn:   n.Foreground(yellow),
		MsgError:  n.Bold(true).Foreground(red),
		Box:       n.Foreground(cyan),
		BoxDanger: n.Bold(true).Foreground(red),
	}
}
