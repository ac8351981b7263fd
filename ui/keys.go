package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
)

// KeyMap is every key the UI answers to. It is a value in the Model (never
// a package global) so tests and embedders can hold their own copy.
type KeyMap struct {
	Up, Down, Top, Bottom, PgUp, PgDown key.Binding
	Open, Back, Filter                  key.Binding
	Problems, Sort, SortBy, Refresh     key.Binding
	Jump, Pause, Events                 key.Binding
	Drain, Ready, Maint, Weight         key.Binding
	ProxyFail                           key.Binding
	Undo, Actions, OutList              key.Binding
	Yes, No                             key.Binding
	Reason, Scope, Confirm              key.Binding // in a dialog: documented, matched by the dialog itself
	Help, Quit                          key.Binding
}

// DefaultKeyMap returns lbtop's keys. They are the product's interface:
// change them only together with the README.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:        b("k/↑", "move up", "k", "up"),
		Down:      b("j/↓", "move down", "j", "down"),
		Top:       b("g", "first row", "g", "home"),
		Bottom:    b("G", "last row", "G", "end"),
		PgUp:      b("pgup", "page up", "pgup"),
		PgDown:    b("pgdown", "page down", "pgdown"),
		Open:      b("enter", "open pool / backend detail", "enter"),
		Back:      b("esc", "back / clear the filter", "esc"),
		Filter:    b("/", "filter words !x /re/ kind:…", "/"),
		Problems:  b("p", "problems only on/off", "p"),
		Sort:      b("s", "next sort column", "s"),
		SortBy:    b("NSHWAQE", "sort by column, again flips", "N", "S", "H", "W", "A", "Q", "E"),
		Jump:      b(":", "jump to pool, tab completes", ":"),
		Events:    b("e", "events, newest first", "e"),
		Refresh:   b("R", "poll every source now", "R"),
		Pause:     b("space", "pause/resume the view", "space"),
		Drain:     b("d", "drain: no new traffic", "d"),
		Ready:     b("r", "ready: undo drain/maint", "r"),
		Maint:     b("m", "maint: take backend out", "m"),
		Weight:    b("w", "set backend weight", "w"),
		ProxyFail: b("F", "fail/restore WHOLE proxy", "F"),
		Undo:      b("u", "undo the last action", "u"),
		Actions:   b("a", "actions log; u undoes a row", "a"),
		OutList:   b("o", "out of rotation; r readies", "o"),
		Yes:       b("y", "yes: apply (in a dialog)", "y"),
		No:        b("n/esc", "no: cancel (in a dialog)", "n", "esc"),
		Reason:    b("tab", "dialog: type a reason", "tab"),
		Confirm:   b("enter", "dialog: end reason / apply", "enter"),
		Scope:     b("←/→", "dialog: this/all instances", "left", "right"),
		Help:      b("?", "help", "?"),
		Quit:      b("q/ctrl+c", "quit (asks if any pending)", "q", "ctrl+c"),
	}
}

// KeyDoc documents one key for the help overlay and the README table.
type KeyDoc struct {
	Key       string // as typed: "j/↓", "enter"
	Action    string // what it does, short enough for the help box at 80 columns
	More      string // detail for the README's table only, after Action
	Dangerous bool   // changes a live system (asks for confirmation first)
}

// helpWidth is the most an Action (with " ⚠" when Dangerous) may take:
// the help box's two columns at 80 columns keep 27 cells for it.
const helpWidth = 27

// keyEntry ties a binding to its documentation flags.
type keyEntry struct {
	b         key.Binding
	action    bool // an action key: hidden in read-only mode
	dangerous bool
	more      string // KeyDoc.More
}

func (km KeyMap) entries() []keyEntry {
	return []keyEntry{
		{b: km.Up}, {b: km.Down}, {b: km.Top}, {b: km.Bottom}, {b: km.PgUp}, {b: km.PgDown},
		{b: km.Open}, {b: km.Back}, {b: km.Filter, more: "see the filter below"}, {b: km.Problems}, {b: km.Sort}, {b: km.SortBy}, {b: km.Jump}, {b: km.Events, more: "every change across the fleet; enter jumps to its pool"}, {b: km.Refresh}, {b: km.Pause},
		{b: km.Drain, action: true, dangerous: true},
		{b: km.Ready, action: true, dangerous: true},
		{b: km.Maint, action: true, dangerous: true},
		{b: km.Weight, action: true, dangerous: true},
		{b: km.ProxyFail, action: true, dangerous: true},
		{b: km.Undo, action: true, dangerous: true},
		{b: km.Actions}, {b: km.OutList},
		{b: km.Yes, action: true}, {b: km.No, action: true},
		{b: km.Reason, action: true, more: "y is then a letter"},
		{b: km.Confirm, action: true, more: "enter keeps the reason; once the name is typed, applies"},
		{b: km.Scope, action: true},
		{b: km.Help}, {b: km.Quit, more: "while actions are pending: wait or quit anyway"},
	}
}

// docs lists the keys of this map; action keys are left out when readOnly.
func (km KeyMap) docs(readOnly bool) []KeyDoc {
	var out []KeyDoc
	for _, e := range km.entries() {
		if readOnly && e.action {
			continue
		}
		h := e.b.Help()
		out = append(out, KeyDoc{Key: h.Key, Action: h.Desc, More: e.more, Dangerous: e.dangerous})
	}
	return out
}

// KeyHelp lists the default keys in help order, leaving out action keys
// in read-only mode. The README's keybindings table is generated from it.
func KeyHelp(readOnly bool) []KeyDoc { return DefaultKeyMap().docs(readOnly) }

// DialogKeyHelp lists the confirmation dialog's own keys (handled in
// dialog.go), for the README; y and n are in KeyHelp.
func DialogKeyHelp() []KeyDoc {
	return []KeyDoc{
		{Key: "←/→", Action: "this instance or all N instances that have the backend"},
		{Key: "tab", Action: "type a one-line reason for the audit log; tab or enter when done"},
		{Key: "name + enter", Action: "a risky action (last healthy backend, below --floor): type the pool name in full, then enter"},
		{Key: "esc", Action: "cancel: nothing is sent"},
	}
}

// ListKeyHelp lists the keys of the a and o lists (handled in lists.go),
// for the README.
func ListKeyHelp() []KeyDoc {
	return []KeyDoc{
		{Key: "j/k", Action: "select a row (also ↑/↓, g/G, pgup/pgdown)"},
		{Key: "u", Action: "in a: undo the selected action (refused when it failed, is pending or is already undone)", Dangerous: true},
		{Key: "r", Action: "in o: ready the selected backend, or restore the selected proxy", Dangerous: true},
		{Key: "enter", Action: "in o: open the backend's pool with it selected"},
		{Key: "esc", Action: "close the list"},
	}
}

// READMEKeys is the README's keys section: the keys, then the dialog's,
// then the a and o lists'.
func READMEKeys() string {
	return KeyMarkdown(KeyHelp(false)) + "\nIn a confirmation dialog:\n\n" + KeyMarkdown(DialogKeyHelp()) +
		"\nIn the a (actions) and o (out of rotation) lists:\n\n" + KeyMarkdown(ListKeyHelp())
}

// KeyMarkdown renders docs as the README's Markdown keybindings table,
// dangerous keys marked ⚠.
func KeyMarkdown(docs []KeyDoc) string {
	var sb strings.Builder
	sb.WriteString("| key | action |\n|---|---|\n")
	for _, d := range docs {
		a := d.Action
		if d.More != "" {
			a += " (" + d.More + ")"
		}
		if d.Dangerous {
			a = "⚠ " + a + " (asks for confirmation)"
		}
		sb.WriteString("| `" + d.Key + "` | " + a + " |\n")
	}
	return sb.String()
}
