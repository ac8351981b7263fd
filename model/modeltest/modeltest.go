// Package modeltest holds test helpers shared by the packages that feed
// the model: checks that a Fleet shows only terminal-safe text and
// figures in range, whatever a source sent.
package modeltest

import (
	"strconv"

	"github.com/lbtop/lbtop/model"
)

// Problems lists what is wrong in f for a terminal and for the figures'
// documented ranges: any text SafeText would still change, an error text
// longer than model.MaxErrorText plus its cut marker, a weight outside
// weight (other than -1, "not reported"), a negative connection count or
// aggregate count. An empty list means f is fit to show.
func Problems(f *model.Fleet, weight model.Range) []string {
	var out []string
	text := func(what, s string) {
		if t := model.SafeText(s); t != s {
			out = append(out, what+": unsafe text "+strconv.Quote(s))
		}
	}
	for _, s := range f.Sources {
		text("source error", s.Err)
		text("source note", s.Note)
		if len(s.Err) > model.MaxErrorText+len("…(cut)") {
			out = append(out, "source error of "+strconv.Itoa(len(s.Err))+" bytes")
		}
		for _, m := range s.Metrics {
			text("metric", m.Name)
		}
	}
	for _, p := range f.Pools {
		text("pool", p.Name)
		for _, n := range p.Notes {
			text("pool note", n)
		}
		for _, a := range p.Aggregates {
			text("aggregate instance", a.Instance)
			if a.Healthy < 0 || a.Total < 0 || a.Active < 0 {
				out = append(out, "pool "+p.Name+": negative aggregate count")
			}
		}
		for _, b := range p.Backends {
			for _, s := range []string{b.Name, b.Address, b.Zone, b.Instance, b.Reason, b.Pool} {
				text("backend", s)
			}
			if b.Weight != -1 && !weight.Contains(int64(b.Weight)) {
				out = append(out, "backend "+b.Name+": weight "+strconv.Itoa(b.Weight))
			}
			if b.Active < 0 {
				out = append(out, "backend "+b.Name+": active "+strconv.FormatInt(b.Active, 10))
			}
		}
	}
	return out
}
