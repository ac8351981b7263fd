package ui

import tea "charm.land/bubbletea/v2"

// inputMode is the prompt open on the message line, if any.
type inputMode uint8

const (
	inputNone inputMode = iota
	inputFilter
	inputWeight
	inputJump // `:` and a pool name
)

// inputState is the prompt on the message line: which one, what is
// typed, and the backend a weight prompt is about.
type inputState struct {
	mode   inputMode
	text   string // input buffer
	weight target // target of the weight prompt
}

// start opens the prompt mode with text already typed.
func (in *inputState) start(mode inputMode, text string) { in.mode, in.text = mode, text }

// close closes the prompt and empties the buffer.
func (in *inputState) close() { in.mode, in.text = inputNone, "" }

// add appends the printable runes of s (a key or a paste).
func (in *inputState) add(s string) {
	for _, r := range s {
		if r >= ' ' && r != 0x7f {
			in.text += string(r)
		}
	}
}

// backspace removes the last rune typed.
func (in *inputState) backspace() {
	if r := []rune(in.text); len(r) > 0 {
		in.text = string(r[:len(r)-1])
	}
}

// inputKey edits the filter or weight prompt.
func (m Model) inputKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "enter":
		if m.input.mode == inputWeight {
			return m.submitWeight()
		}
		m.input.mode = inputNone
		return m, nil
	case "esc":
		mode := m.input.mode
		m.input.close()
		switch mode {
		case inputFilter:
			m.pools.query.Filter = ""
			m.requery(false)
			return m, nil
		case inputJump:
			return m, nil
		}
		return m.setStatus(StatusInfo, "weight change cancelled", 0)
	case "backspace":
		m.input.backspace()
		return m.textChanged()
	case "ctrl+u":
		m.input.text = ""
		return m.textChanged()
	}
	if msg.Text != "" && msg.Mod&(tea.ModCtrl|tea.ModAlt) == 0 {
		return m.typed(msg.Text)
	}
	return m, nil
}

// typed appends text (a key or a paste) to the input buffer.
func (m Model) typed(s string) (tea.Model, tea.Cmd) {
	m.input.add(s)
	return m.textChanged()
}

// textChanged applies the filter on every keystroke.
func (m Model) textChanged() (tea.Model, tea.Cmd) {
	if m.input.mode == inputFilter {
		prev := m.pools.query.Filter
		m.pools.query.Filter = m.input.text
		if !m.pools.narrow(m.fleet, prev) && !m.pools.recall(m.fleet) {
			m.selectPools(false)
		}
		m.pools.rememberFilter()
		if m.screen == screenBackends {
			m.selectBackends(false)
		}
	}
	return m, nil
}
