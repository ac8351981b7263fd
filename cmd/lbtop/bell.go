package main

import (
	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
)

// bellMsg rings the terminal bell from the dashboard. Bubble Tea writes a
// RawMsg to the terminal in its own loop, between frames, so the BEL can
// never land inside an escape sequence the renderer is writing (a BEL
// ends an OSC sequence), and Update and View stay free of I/O.
var bellMsg tea.Msg = tea.RawMsg{Msg: "\a"}

// noteBell remembers that one of the events just taken rings the bell
// (model.Event.Bell decides, as for `watch --bell`), when --bell is on.
func (ff *fleetFeed) noteBell(e model.Event) {
	if ff.bell && e.Bell() {
		ff.rang = true
	}
}

// takeBell reports whether the bell should ring now, once per fleet
// however many events ring it, and forgets it.
func (ff *fleetFeed) takeBell() bool {
	r := ff.rang
	ff.rang = false
	return r
}
