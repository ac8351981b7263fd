package ui

import (
	"math"
	"strconv"
	"strings"
	"time"

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
	pts := m.times.hist.Spark(p.Key)
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
	d := fmtAge(time.Duration(n-1) * m.times.hist.Resolution)
	if n == len(pts) {
		return "≥" + d
	}
	return d
}

// stateFor is the FOR cell of a backend: how long it has been in its
// state and, when it changed in the window, how often ("3m ↻4").
func (m *Model) stateFor(b *model.BackendRow) string {
	bh := m.times.hist.Backend(b)
	if bh.Since.IsZero() {
		return ""
	}
	s := fmtAge(m.times.now.Sub(bh.Since))
	if !bh.Exact {
		s = "≥" + s
	}
	if bh.Flaps > 1 {
		s += " ↻" + strconv.Itoa(bh.Flaps)
	}
	return s
}

// shownEvents are the events the events view lists, newest first,
// narrowed by the filter's text (a plain substring of the line).
func (m *Model) shownEvents() []model.Event {
	all := m.times.hist.Events()
	f := strings.ToLower(m.pools.query.Filter)
	out := make([]model.Event, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		if f == "" || strings.Contains(strings.ToLower(all[i].Text()), f) {
			out = append(out, all[i])
		}
	}
	return out
}
