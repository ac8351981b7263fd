package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
)

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
func (in *inputState) add(s string) { in.text += printable(s) }

// backspace removes the last rune typed.
func (in *inputState) backspace() { in.text = dropLastRune(in.text) }

// printable keeps the printable runes of typed or pasted text: every
// prompt (filter, weight, jump, the dialog's fields, replay's t) edits
// text through it and dropLastRune.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= ' ' && r != 0x7f {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// dropLastRune is s without its last rune (backspace).
func dropLastRune(s string) string {
	if r := []rune(s); len(r) > 0 {
		return string(r[:len(r)-1])
	}
	return s
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
