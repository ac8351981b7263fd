package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/lbtop/lbtop/model"
)

// Exit codes of lbtop. exitNoHealthy is the scriptable form of
// "503 no healthy upstream".
const (
	exitOK        = 0
	exitError     = 1
	exitNoHealthy = 2
)

// onceJSON is the stable JSON shape of --once -o json. Fields may be added;
// these never change meaning.
type onceJSON struct {
	Sources   []sourceJSON `json:"sources"`
	Pools     []poolJSON   `json:"pools"`
	NoHealthy int          `json:"no_healthy_pools"`
}

type sourceJSON struct {
	Name     string     `json:"name"`
	Kind     model.Kind `json:"kind"`
	OK       bool       `json:"ok"`
	Error    string     `json:"error"`
	Pools    int        `json:"pools"`
	Backends int        `json:"backends"`
	TookMS   float64    `json:"took_ms"`
	Note     string     `json:"note,omitempty"`
	Metrics  []metric   `json:"metrics,omitempty"`
}

type metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

type poolJSON struct {
	Source    string        `json:"source"` // instances, comma-separated
	Sources   []string      `json:"sources"`
	Kind      model.Kind    `json:"kind"`
	Name      string        `json:"name"`
	Healthy   int           `json:"healthy"`
	Total     int           `json:"total"`
	Weight    int           `json:"weight"`
	Active    int64         `json:"active"`
	NoHealthy bool          `json:"no_healthy"`
	Notes     []string      `json:"notes,omitempty"`
	Backends  []backendJSON `json:"backends"`
	Diagnosis diagnosisJSON `json:"diagnosis"`
}

// diagnosisJSON is a pool's verdict: why it is in its state, with the
// facts behind it. Evidence is always a list, empty rather than null.
type diagnosisJSON struct {
	State    string      `json:"state"` // ok, warning, degraded, down, unknown
	Cause    model.Cause `json:"cause"`
	Summary  string      `json:"summary"`
	Evidence []string    `json:"evidence"`
}

func diagnosisOf(p *model.PoolRow) diagnosisJSON {
	d := p.Diagnosis
	ev := d.Evidence
	if ev == nil {
		ev = []string{}
	}
	return diagnosisJSON{State: d.State.String(), Cause: d.Cause, Summary: d.Summary, Evidence: ev}
}

type backendJSON struct {
	Name     string       `json:"name"`
	Address  string       `json:"address"`
	Source   string       `json:"source"`
	Health   model.Health `json:"health"`
	Reason   string       `json:"reason"`
	Weight   int          `json:"weight"`
	Active   int64        `json:"active"`
	Backup   bool         `json:"backup,omitempty"`
	Zone     string       `json:"zone,omitempty"`
	Instance string       `json:"instance,omitempty"`
}

// onceExit is the exit code for a fleet read once: 1 when no source could
// be read, 2 when any pool has no healthy backend, else 0.
func onceExit(f *model.Fleet) int {
	read := 0
	for _, s := range f.Sources {
		if s.OK {
			read++
		}
	}
	switch {
	case read == 0:
		return exitError
	case f.Unhealthy() > 0:
		return exitNoHealthy
	}
	return exitOK
}

// writeOnce prints the fleet in the requested format, worst pools first.
func writeOnce(w io.Writer, f *model.Fleet, format string) error {
	if format == "json" {
		return writeJSON(w, f)
	}
	return writeTable(w, f)
}

func writeJSON(w io.Writer, f *model.Fleet) error {
	out := onceJSON{Sources: []sourceJSON{}, Pools: []poolJSON{}, NoHealthy: f.Unhealthy()}
	for _, s := range f.Sources {
		sj := sourceJSON{Name: s.Name, Kind: s.Kind, OK: s.OK, Error: s.Err, Pools: s.Pools, Backends: s.Backends, TookMS: float64(s.Took.Microseconds()) / 1000, Note: s.Note}
		for _, m := range s.Metrics {
			sj.Metrics = append(sj.Metrics, metric{Name: m.Name, Value: m.Value})
		}
		out.Sources = append(out.Sources, sj)
	}
	for _, i := range f.Select(model.Query{}) {
		p := &f.Pools[i]
		pj := poolJSON{
			Source: strings.Join(p.Sources, ","), Sources: p.Sources, Kind: p.Kind, Name: p.Name,
			Healthy: p.Healthy, Total: p.Total, Weight: p.Weight, Active: p.Active,
			NoHealthy: p.NoHealthy(), Notes: p.Notes, Backends: []backendJSON{},
			Diagnosis: diagnosisOf(p),
		}
		for _, b := range p.Backends {
			pj.Backends = append(pj.Backends, backendJSON{
				Name: b.Name, Address: b.Address, Source: b.Source, Health: b.Health, Reason: b.Reason,
				Weight: b.Weight, Active: b.Active, Backup: b.Backup, Zone: b.Zone, Instance: b.Instance,
			})
		}
		out.Pools = append(out.Pools, pj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeTable prints sources, then one line per pool; pools with problems
// list their backends that are not healthy, with the system's reason.
func writeTable(w io.Writer, f *model.Fleet) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range f.Sources {
		state := "ok"
		if !s.OK {
			state = "ERROR: " + s.Err
		}
		fmt.Fprintf(tw, "# %s\t%s\t%s\n", s.Kind, s.Name, state)
		if s.Note != "" {
			fmt.Fprintf(tw, "#   %s\n", s.Note)
		}
		for _, m := range s.Metrics {
			fmt.Fprintf(tw, "#   %s\t%g\n", m.Name, m.Value)
		}
	}
	fmt.Fprintln(tw, "POOL\tKIND\tSOURCE\tHEALTHY\tWEIGHT\tACTIVE\tCAUSE")
	for _, i := range f.Select(model.Query{}) {
		p := &f.Pools[i]
		mark := ""
		if p.NoHealthy() {
			mark = "  ✘ no healthy upstream"
		}
		src, n := p.Instances()
		if n > 1 {
			src = fmt.Sprintf("%d instances", n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d%s\t%d\t%d\t%s\n", p.Name, p.Kind, src, p.Healthy, p.Total, mark, p.Weight, p.Active, p.Diagnosis.Cause)
		for _, n := range p.Notes {
			fmt.Fprintf(tw, "  note: %s\t\t\t\t\t\n", n)
		}
		for _, b := range p.Backends {
			if b.Health == model.Healthy {
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%d\n", b.Name, b.Health, b.InstanceName(), b.Reason, b.Weight, b.Active)
		}
	}
	return tw.Flush()
}
