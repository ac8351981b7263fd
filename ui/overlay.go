package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
)

// overlayKind is what covers the screen and takes the keys, if anything.
// overlay decides it from the mode fields in one place, so the keys and
// the drawing always agree on which one wins.
type overlayKind uint8

const (
	overlayNone    overlayKind = iota
	overlayQuit                // "N actions pending: wait / quit anyway"
	overlayDialog              // an action's confirmation
	overlayHelp                // the key list
	overlayActions             // this session's actions (a)
	overlayOut                 // out of rotation (o)
	overlayEvents              // every change, newest first (e)
	overlayDetail              // one backend in full (enter on a backend)
	overlayInput               // the filter or weight prompt on the message line
)

// overlays are the boxes that can open over a list: help, a backend's
// detail, and one of the a/o/e lists with its cursor. Detail stays open
// under help and the lists; the lists take every key, so only one shows.
type overlays struct {
	help   bool
	detail bool          // the backend detail box is open
	list   listKind      // the list shown, if any
	rows   listView      // its cursor and window
	outs   []actions.Out // the out-of-rotation list, built when shown and per fleet while shown
}

// listKind is a list shown over the screen.
type listKind uint8

const (
	listNone    listKind = iota
	listActions          // this session's actions and results (a)
	listOut              // every backend out of rotation (o)
	listEvents           // every change, newest first (e)
)

// open shows list k with its cursor on the first row.
func (o *overlays) open(k listKind) { o.list, o.rows = k, listView{} }

// overlay is the overlay in front, by priority.
func (m *Model) overlay() overlayKind {
	switch {
	case m.acts.quit == quitAsk:
		return overlayQuit
	case m.dialog.open:
		return overlayDialog
	case m.over.help:
		return overlayHelp
	case m.input.mode == inputFilter && m.over.list == listEvents:
		return overlayInput // / in e: the prompt takes the keys, the events stay in view
	case m.over.list == listActions:
		return overlayActions
	case m.over.list == listOut:
		return overlayOut
	case m.over.list == listEvents:
		return overlayEvents
	case m.over.detail && m.screen == screenBackends:
		return overlayDetail
	case m.input.mode != inputNone:
		return overlayInput
	}
	return overlayNone
}

// overlayKey gives a key to the overlay in front; handled false means
// the screen beneath takes it (none, or the detail box, which lets j/k
// and the action keys work on the backend it shows).
func (m Model) overlayKey(msg tea.KeyPressMsg) (out tea.Model, cmd tea.Cmd, handled bool) {
	switch m.overlay() {
	case overlayQuit:
		out, cmd = m.quitKey(msg)
	case overlayDialog:
		out, cmd = m.dialogKey(msg)
	case overlayHelp:
		if key.Matches(msg, m.keys.Help, m.keys.Back, m.keys.Quit) {
			m.over.help = false
		}
		out = m
	case overlayActions, overlayOut, overlayEvents:
		out, cmd = m.listKey(msg)
	case overlayInput:
		if m.input.mode == inputJump {
			out, cmd = m.jumpKey(msg)
		} else {
			out, cmd = m.inputKey(msg)
		}
	case overlayDetail:
		if !key.Matches(msg, m.keys.Back, m.keys.Open) {
			return m, nil, false
		}
		m.over.detail = false
		out = m
	default:
		return m, nil, false
	}
	return out, cmd, true
}

// overlayBox draws the overlay in front, or nil (none, or the prompt,
// which is on the message line).
func (m *Model) overlayBox(w, h int) []string {
	switch m.overlay() {
	case overlayQuit:
		return boxWidth("Quit?", m.quitQuestion(), min(w-2, 110), m.st.BoxDanger, m.st.BoxDanger)
	case overlayDialog:
		return m.dialogBox(w)
	case overlayHelp:
		return m.helpBox(w, h)
	case overlayActions:
		return m.actionsBox(w, h)
	case overlayOut:
		return m.outBox(w, h)
	case overlayEvents:
		return m.eventsBox(w, h)
	case overlayInput:
		if m.over.list == listEvents { // filtered as the prompt is typed
			return m.eventsBox(w, h)
		}
	case overlayDetail:
		return m.detailBox(w)
	}
	return nil
}
