package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
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

// onceExit is the exit code for a fleet read once: 2 when any pool has no
// healthy backend; else 1 when no source could be read, or with strict
// when any source could not be read; else 0.
func onceExit(f *model.Fleet, strict bool) int {
	read, unread := 0, 0
	for _, s := range f.Sources {
		if s.OK {
			read++
		} else {
			unread++
		}
	}
	switch {
	case f.Unhealthy() > 0:
		return exitNoHealthy
	case read == 0, strict && unread > 0:
		return exitError
	}
	return exitOK
}

// runOnce polls every source once, prints the fleet, and warns on stderr
// about each source that could not be read.
func runOnce(ctx context.Context, entries []sources.Entry, o *options, stdout, stderr io.Writer) int {
	hub, err := sources.NewHub(entries)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	store := newStore(entries)
	for _, snap := range hub.PollAll(ctx) {
		store.Ingest(snap)
	}
	fleet := store.Fleet()
	for _, s := range fleet.Sources {
		if !s.OK {
			fmt.Fprintf(stderr, "lbtop: warning: source %q cannot be read: %s\n", s.Name, model.SafeError(s.Err))
		}
	}
	if err := writeOnce(stdout, fleet, o.output); err != nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	return onceExit(fleet, o.strict)
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

// writeTable prints the sources, then one line per pool (every pool,
// worst first) with each backend that is not healthy under it, then a
// summary line. Columns are padded by display width, so wide or escaped
// names keep every value under its heading.
func writeTable(w io.Writer, f *model.Fleet) error {
	var out strings.Builder
	src := [][]string{{"SOURCE", "KIND", "POOLS", "BACKENDS", "STATE"}}
	unread := 0
	for _, s := range f.Sources {
		state := "ok"
		if !s.OK {
			state, unread = "ERROR: "+s.Err, unread+1
		}
		src = append(src, []string{s.Name, string(s.Kind), strconv.Itoa(s.Pools), strconv.Itoa(s.Backends), state})
	}
	var srcExtra [][]string // note and metric lines under each source row
	for _, s := range f.Sources {
		var extra []string
		if s.Note != "" {
			extra = append(extra, "  note: "+s.Note)
		}
		for _, m := range s.Metrics {
			extra = append(extra, fmt.Sprintf("  %s %g", m.Name, m.Value))
		}
		srcExtra = append(srcExtra, extra)
	}
	writeRows(&out, src, func(i int) []string { return srcExtra[i] })
	out.WriteString("\n")

	order := f.Select(model.Query{})
	pools := [][]string{{"POOL", "KIND", "SOURCE", "HEALTHY", "WEIGHT", "ACTIVE", "CAUSE", "STATUS"}}
	extra := make([][]string, len(order))
	for k, i := range order {
		p := &f.Pools[i]
		src, n := p.Instances()
		if n > 1 {
			src = fmt.Sprintf("%d instances", n)
		}
		status := ""
		switch {
		case p.NoHealthy():
			status = "✘ no healthy upstream"
		case p.Healthy < p.Total:
			status = fmt.Sprintf("! %d not healthy", p.Total-p.Healthy)
		}
		pools = append(pools, []string{p.Name, string(p.Kind), src, fmt.Sprintf("%d/%d", p.Healthy, p.Total), strconv.Itoa(p.Weight), strconv.FormatInt(p.Active, 10), string(p.Diagnosis.Cause), status})
		for _, note := range p.Notes {
			extra[k] = append(extra[k], "    note: "+note)
		}
		for _, b := range p.Backends {
			if b.Health != model.Healthy {
				extra[k] = append(extra[k], backendLine(b))
			}
		}
	}
	writeRows(&out, pools, func(i int) []string { return extra[i] })
	fmt.Fprintf(&out, "\n%s, %d with no healthy backend, %s unreadable\n", plural(len(order), "pool"), f.Unhealthy(), plural(unread, "source"))
	_, err := io.WriteString(w, out.String())
	return err
}

// writeRows writes a header and rows in columns padded to the widest cell
// by display width (wide characters count two), the last column unpadded;
// after data row i come extra(i)'s lines, outside the columns.
func writeRows(sb *strings.Builder, rows [][]string, extra func(int) []string) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for c, cell := range r {
			widths[c] = max(widths[c], ansi.StringWidth(cell))
		}
	}
	for i, r := range rows {
		var line strings.Builder
		for c, cell := range r {
			line.WriteString(cell)
			if c < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[c]-ansi.StringWidth(cell)+2))
			}
		}
		sb.WriteString(strings.TrimRight(line.String(), " ") + "\n")
		if i > 0 {
			for _, l := range extra(i - 1) {
				sb.WriteString(l + "\n")
			}
		}
	}
}

// backendLine describes a backend that is not healthy, under its pool:
// "    a2 on lb1: unhealthy: L4CON (Connection refused); weight 10, active 0".
func backendLine(b model.BackendRow) string {
	state := b.Health.String()
	if b.Reason != "" && b.Reason != state {
		state += ": " + b.Reason
	}
	weight := "–"
	if b.Weight >= 0 {
		weight = strconv.Itoa(b.Weight)
	}
	return fmt.Sprintf("    %s on %s: %s; weight %s, active %d", b.Name, b.InstanceName(), state, weight, b.Active)
}

// plural is "1 pool", "3 pools".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
