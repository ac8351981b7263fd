package ui

import (
	"math"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
)

// SparkPoints is how many samples the pool list's sparkline shows, one
// per poll, oldest left.
const SparkPoints = 12

// sparkRunes draw a healthy ratio from 0 (▁) to 1 (█); a gap (stale
// source, no data yet) is a space.
var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// sparkline renders a pool's healthy ratio over its last samples.
func sparkline(pts []model.SparkPoint) string {
	if len(pts) == 0 {
		return ""
	}
	var b strings.Builder
	for _, p := range pts {
		r := float64(p.Ratio)
		if math.IsNaN(r) {
			b.WriteByte(' ')
			continue
		}
		i := int(math.Round(r * float64(len(sparkRunes)-1)))
		b.WriteRune(sparkRunes[max(0, min(i, len(sparkRunes)-1))])
	}
	return b.String()
}

// downFor is how long a pool with no healthy backend has been so, from
// its sparkline (trailing samples at 0), as "4m" or "≥24s" when every
// sample shown is down; "" when it is not down or nothing is known.
func (m *Model) downFor(p *model.PoolRow) string {
	pts := m.hist.Spark(p.Key)
	if !p.NoHealthy() || len(pts) == 0 {
		return ""
	}
	n := 0
	for i := len(pts) - 1; i >= 0 && pts[i].Ratio == 0; i-- {
		n++
	}
	if n == 0 {
		return ""
	}
	// n samples down: the first was taken (n-1) samples ago.
	d := fmtAge(time.Duration(n-1) * m.hist.Resolution)
	if n == len(pts) {
		return "≥" + d
	}
	return d
}

// stateFor is the FOR cell of a backend: how long it has been in its
// state and, when it changed in the window, how often ("3m ↻4").
func (m *Model) stateFor(b *model.BackendRow) string {
	bh := m.hist.Backend(b)
	if bh.Since.IsZero() {
		return ""
	}
	s := fmtAge(m.now.Sub(bh.Since))
	if !bh.Exact {
		s = "≥" + s
	}
	if bh.Flaps > 1 {
		s += " ↻" + strconv.Itoa(bh.Flaps)
	}
	return s
}

// listView is a list overlay's state: shown or not, and its cursor.
type listView struct {
	open bool
	cur  int
}

// shownEvents are the events the events view lists, newest first,
// narrowed by the filter's text (a plain substring of the line).
func (m *Model) shownEvents() []model.Event {
	all := m.hist.Events()
	f := strings.ToLower(m.query.Filter)
	out := make([]model.Event, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		if f == "" || strings.Contains(strings.ToLower(all[i].Text()), f) {
			out = append(out, all[i])
		}
	}
	return out
}

// eventsKey moves in the events view; enter jumps to the event's pool.
func (m Model) eventsKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	evs := m.shownEvents()
	switch {
	case msg.String() == "e" || msg.String() == "q" || msg.String() == "esc":
		m.events.open = false
	case msg.String() == "/":
		m.events.open = false
		m.input, m.text = inputFilter, m.query.Filter
	case msg.String() == "j" || msg.String() == "down":
		m.events.cur = min(m.events.cur+1, max(0, len(evs)-1))
	case msg.String() == "k" || msg.String() == "up":
		m.events.cur = max(0, m.events.cur-1)
	case msg.String() == "enter" && m.events.cur < len(evs):
		m.events.open = false
		if m.screen == screenBackends {
			m.screen, m.detail = screenPools, false
		}
		return m.jumpTo(evs[m.events.cur].Pool)
	}
	return m, nil
}

// eventsBox renders the events overlay: one line per event, newest
// first, the cursor's line marked.
func (m *Model) eventsBox(w, h int) []string {
	evs := m.shownEvents()
	room := max(1, h-8)
	off := scroll(m.events.cur, 0, room, len(evs))
	lines := make([]string, 0, room+1)
	for i := off; i < min(len(evs), off+room); i++ {
		mark := "  "
		if i == m.events.cur {
			mark = "▸ "
		}
		lines = append(lines, mark+evs[i].Text())
	}
	if len(evs) == 0 {
		lines = append(lines, "no events yet: state changes, alerts and actions appear here as they happen")
	}
	title := "Events, newest first (" + strconv.Itoa(len(evs)) + ")"
	if m.query.Filter != "" {
		title += " matching " + strconv.Quote(m.query.Filter)
	}
	return m.listBox(title, lines, "j/k move · enter jumps to the pool · / filters · e or esc closes", w, h)
}
