package ui

import (
	"strconv"
	"strings"

	"github.com/lbtop/lbtop/model"
)

// maxCardLines bounds the proxy-level metric lines under the header.
const maxCardLines = 2

// counts are fleet-wide totals for the header, computed once per fleet.
type counts struct {
	pools, backends, noHealthy int
}

func countFleet(f *model.Fleet) counts {
	var c counts
	if f == nil {
		return c
	}
	c.pools = len(f.Pools)
	for i := range f.Pools {
		c.backends += f.Pools[i].Total
		if f.Pools[i].NoHealthy() {
			c.noHealthy++
		}
	}
	return c
}

// queryDesc describes the filter and problems-only flag, or "".
func (m *Model) queryDesc() string {
	s := ""
	if m.pools.query.Filter != "" {
		s += " filter:" + strconv.Quote(m.pools.query.Filter)
		if _, err := model.ParseFilter(m.pools.query.Filter); err != nil {
			s += " (matches nothing: " + err.Error() + ")"
		}
	}
	if m.pools.query.ProblemsOnly {
		s += " [problems only]"
	}
	return s
}

// header renders the first line: title, counts, sort, filter.
func (m *Model) header(w int) string {
	h := m.headerWith(w, m.identity(false))
	if width(h) > w && m.msg.presence != "" {
		h = m.headerWith(w, m.identity(true)) // "2 watching" without the names: the fleet's counts come first
	}
	return clip(h, w)
}

// headerWith is the header with id (identity's text), not yet clipped.
func (m *Model) headerWith(w int, id string) string {
	var sb strings.Builder
	c := &m.pools.counts
	if m.screen == screenBackends {
		sb.WriteString(m.st.Title.Render("lbtop › "+m.backends.openKey) + id + m.queryDesc() + m.pausedDesc())
		if m.opts.ReadOnly {
			sb.WriteString(" read-only")
		}
		if p := m.backends.pool; p != nil {
			sb.WriteString(" · " + instanceLabel(p) + " · " + strconv.Itoa(p.Healthy) + "/" + strconv.Itoa(p.Total) +
				" serving · weight " + strconv.Itoa(p.Weight) + " · active " + fmtCount(p.Active) + " · " +
				fmtRate(p.ReqRate, p.HasRates) + " req/s · " + fmtRate(p.ErrRate, p.HasRates) + " 5xx/s")
			if n := len(m.backends.list.sel); n != len(p.Backends) {
				sb.WriteString(" · showing " + strconv.Itoa(n) + " of " + strconv.Itoa(len(p.Backends)))
			}
		}
		return sb.String()
	}
	sb.WriteString(m.st.Title.Render("lbtop") + id + " ")
	pools := plural(c.pools, "pool")
	if len(m.pools.list.sel) != c.pools {
		pools = strconv.Itoa(len(m.pools.list.sel)) + "/" + pools
	}
	bad := strconv.Itoa(c.noHealthy) + " no healthy upstream"
	if c.noHealthy > 0 {
		bad = m.st.CellBad.Render("✘ " + bad)
	}
	flags := " sort:" + m.sortDesc() + m.queryDesc() + m.pausedDesc()
	if m.opts.ReadOnly {
		flags += " read-only"
	}
	backends := " · " + plural(c.backends, "backend")
	if 6+width(id)+width(pools)+len(backends)+3+width(bad)+width(flags) > w {
		backends = "" // narrow: the flags and who watches matter more than this total
	}
	sb.WriteString(pools + backends + " · " + bad + flags)
	return sb.String()
}

// identity is " [ana · operator · 3 watching: ana, bob, cy]" for a
// shared session, else ""; short leaves out who watches ("3 watching").
func (m *Model) identity(short bool) string {
	if m.opts.Identity == "" {
		return ""
	}
	if p := m.msg.presence; p != "" {
		if short {
			p, _, _ = strings.Cut(p, ":")
		}
		return " [" + m.opts.Identity + " · " + p + "]"
	}
	return " [" + m.opts.Identity + "]"
}

// cardSources are the sources with proxy-level metrics or a note.
func (m *Model) cardSources() []model.SourceStatus {
	if m.fleet == nil {
		return nil
	}
	var out []model.SourceStatus
	for _, s := range m.fleet.Sources {
		if len(s.Metrics) > 0 || s.Note != "" {
			out = append(out, s)
		}
	}
	return out
}

// cardLines counts the proxy-level metric lines shown in the pools view.
func (m *Model) cardLines() int {
	n := 0
	if m.fleet != nil {
		for _, s := range m.fleet.Sources {
			if len(s.Metrics) > 0 || s.Note != "" {
				n++
			}
		}
	}
	return min(n, maxCardLines)
}

// cards renders one line per source with proxy-level figures (NGINX
// stub_status) and its note, which is all such a source can tell.
func (m *Model) cards(out []string, w int) []string {
	srcs := m.cardSources()
	for i, s := range srcs {
		if i == maxCardLines-1 && len(srcs) > maxCardLines {
			out = append(out, m.st.Dim.Render(clip("… "+strconv.Itoa(len(srcs)-i)+" more sources with proxy-level figures", w)))
			break
		}
		var sb strings.Builder
		sb.WriteString(m.st.Header.Render(s.Name) + " ")
		for j, mt := range s.Metrics {
			if j > 0 {
				sb.WriteString(" · ")
			}
			sb.WriteString(mt.Name + " " + metricValue(mt))
		}
		if s.Note != "" {
			if len(s.Metrics) > 0 {
				sb.WriteString(" — ")
			}
			sb.WriteString(m.st.Dim.Render(s.Note))
		}
		line := sb.String()
		if !s.OK && s.Polled {
			line = m.st.RowStale.Render("~ ") + line
		}
		out = append(out, clip(line, w))
	}
	return out
}

// metricValue renders a proxy-level figure: a rate for counters once
// known, the plain value otherwise.
func metricValue(mt model.Metric) string {
	switch {
	case mt.Counter && mt.HasRate:
		return fmtRate(mt.Rate, true) + "/s"
	case mt.Value == float64(int64(mt.Value)):
		return fmtCount(int64(mt.Value))
	}
	return strconv.FormatFloat(mt.Value, 'f', 1, 64)
}

// messageLine is the prompt while typing, else the transient message,
// else a short key hint.
func (m *Model) messageLine(w int) string {
	switch m.input.mode {
	case inputFilter:
		return clip("/"+m.input.text+"▏"+m.st.Dim.Render("  enter keeps the filter · esc clears it"), w)
	case inputJump:
		return m.jumpPrompt(w)
	case inputWeight:
		r := &m.input.weight.row
		return clip("new weight for "+r.Ref().String()+" (now "+fmtWeight(r.Weight)+"): "+m.input.text+"▏"+
			m.st.Dim.Render("  enter · esc cancels"), w)
	}
	if m.msg.text != "" {
		st := m.st.MsgInfo
		switch m.msg.level {
		case StatusOK:
			st = m.st.MsgOK
		case StatusWarn:
			st = m.st.MsgWarn
		case StatusError:
			st = m.st.MsgError
		}
		return st.Render(clip(m.msg.text, w))
	}
	hint := "? help · / filter · enter open · esc back · s sort · p problems · q quit"
	if m.screen == screenBackends {
		hint = "? help · " + m.actionHint() + "enter detail · esc back · q quit"
	}
	return m.st.Dim.Render(clip(fitHint(hint, w), w))
}

// fitHint drops whole "· key what" items from the end of a hint that is
// wider than w, so that no item is cut in the middle ("q q…").
func fitHint(hint string, w int) string {
	for width(hint) > w {
		i := strings.LastIndex(hint, " · ")
		if i < 0 {
			break
		}
		hint = hint[:i]
	}
	return hint
}

// actionHint offers only the action keys the backend under the cursor's
// source can do ("d drain · r ready · "), or says why there are none.
func (m *Model) actionHint() string {
	if m.actionsOff() {
		return "read-only · "
	}
	b := m.backends.cursor()
	if b == nil {
		return ""
	}
	var keys []string
	for _, k := range actionKeys {
		if ok, _ := m.actor.Supports(b.Source, k.kind); ok {
			keys = append(keys, k.key)
		}
	}
	if len(keys) == 0 {
		return "no actions here (enter says why) · "
	}
	return strings.Join(keys, " · ") + " · "
}

// statusBar shows each source's state, failing sources first so they
// survive truncation on narrow terminals.
func (m *Model) statusBar(w int) string {
	if m.fleet == nil || len(m.fleet.Sources) == 0 {
		return m.st.Dim.Render(clip("no data yet", w))
	}
	var bad, good []string
	multi := len(m.fleet.Sources) > 1
	for _, s := range m.fleet.Sources {
		switch {
		case !s.Polled:
			good = append(good, m.st.Dim.Render("○ "+s.Name+" connecting…"))
		case s.OK:
			good = append(good, m.st.SourceOK.Render("●")+" "+s.Name+" ok "+fmtAge(m.times.now.Sub(s.LastOK)))
		default:
			age := "never ok"
			if !s.LastOK.IsZero() {
				age = "stale " + fmtAge(m.times.now.Sub(s.LastOK))
			}
			e := s.Err
			if multi {
				e = clipMiddle(e, max(30, w-40))
			}
			bad = append(bad, m.st.SourceBad.Render("✘ "+s.Name)+" ("+age+"): "+e)
		}
	}
	return clip(strings.Join(append(bad, good...), "  "), w)
}
