package ui

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
	overlayDetail              // one backend in full (enter on a backend)
	overlayEvents              // every change, newest first (e)
	overlayInput               // the filter or weight prompt on the message line
)

// overlay is the overlay in front, by priority.
func (m *Model) overlay() overlayKind {
	switch {
	case m.acts.quit == quitAsk:
		return overlayQuit
	case m.dialog.open:
		return overlayDialog
	case m.help:
		return overlayHelp
	case m.list == listActions:
		return overlayActions
	case m.list == listOut:
		return overlayOut
	case m.events.open:
		return overlayEvents
	case m.detail && m.screen == screenBackends:
		return overlayDetail
	case m.input != inputNone:
		return overlayInput
	}
	return overlayNone
}
