package ui

import tea "charm.land/bubbletea/v2"

// IsClock reports whether msg is the dashboard's one-second clock tick.
// lbtop serve hands each session its next fleet right after the tick, so
// the two changes make one frame instead of two.
func IsClock(msg tea.Msg) bool {
	_, ok := msg.(clockMsg)
	return ok
}
