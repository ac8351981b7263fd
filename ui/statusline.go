package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// status is the transient message line.
type status struct {
	level StatusLevel
	text  string
	id    int
}

// statusLine is the message shown, the counter that numbers messages and
// action batches, and who else watches a shared dashboard (PresenceMsg,
// shown in the header).
type statusLine struct {
	status
	nextID   int
	presence string
}

// newID hands out the next message or batch id.
func (s *statusLine) newID() int {
	s.nextID++
	return s.nextID
}

// show replaces the message and returns its id.
func (s *statusLine) show(level StatusLevel, text string) int {
	id := s.newID()
	s.status = status{level: level, text: text, id: id}
	return id
}

// clear removes the message if it is still message id.
func (s *statusLine) clear(id int) {
	if s.id == id {
		s.status = status{}
	}
}

// setStatus shows a message and returns the Cmd that clears it after ttl.
func (m Model) setStatus(level StatusLevel, text string, ttl time.Duration) (Model, tea.Cmd) {
	if ttl <= 0 {
		ttl = defaultStatusTTL
		if level == StatusError {
			ttl = errorStatusTTL
		}
	}
	id := m.msg.show(level, text)
	return m, tea.Tick(ttl, func(time.Time) tea.Msg { return clearStatusMsg{id: id} })
}
