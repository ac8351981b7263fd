package actions

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lbtop/lbtop/model"
)

// Match is one backend an action can be sent to, with the merged pool it
// belongs to (for the impact).
type Match struct {
	Pool *model.PoolRow
	Row  model.BackendRow
}

// ErrAmbiguous is wrapped by Resolve's error when a target exists on
// several sources and none was named.
var ErrAmbiguous = errors.New("ambiguous target")

// AllSources, given as the source to Resolve, selects every instance:
// the fan-out.
const AllSources = "all"

// maxListed bounds the names an error lists.
const maxListed = 8

// Resolve finds the backend named backend (by name, or by address when no
// name matches) in the pools named pool across f. source narrows it to one
// source; "" requires the target to be on exactly one source, and
// AllSources accepts every one (fan-out). Errors name the value that did
// not match and list what exists.
func Resolve(f *model.Fleet, pool, backend, source string) ([]Match, error) {
	if f == nil {
		return nil, errors.New("no data: no source has been polled")
	}
	var pools []*model.PoolRow
	for i := range f.Pools {
		if f.Pools[i].Name == pool {
			pools = append(pools, &f.Pools[i])
		}
	}
	if len(pools) == 0 {
		return nil, fmt.Errorf("unknown pool %q%s", pool, suggest(poolNames(f), pool))
	}
	var out []Match
	for _, by := range []func(*model.BackendRow) bool{
		func(b *model.BackendRow) bool { return b.Name == backend },
		func(b *model.BackendRow) bool { return b.Address != "" && b.Address == backend },
	} {
		for _, p := range pools {
			for i := range p.Backends {
				if by(&p.Backends[i]) {
					out = append(out, Match{Pool: p, Row: p.Backends[i]})
				}
			}
		}
		if len(out) > 0 {
			break
		}
	}
	if len(out) == 0 {
		var names []string
		for _, p := range pools {
			for _, b := range p.Backends {
				names = append(names, b.Name)
			}
		}
		return nil, fmt.Errorf("unknown backend %q in pool %q%s", backend, pool, suggest(names, backend))
	}
	all := Sources(out)
	switch {
	case source == AllSources:
		return out, nil
	case source != "":
		kept := out[:0:0]
		for _, m := range out {
			if m.Row.Source == source {
				kept = append(kept, m)
			}
		}
		if len(kept) == 0 {
			return nil, fmt.Errorf("backend %s/%s is not on source %q (it is on %s)", pool, backend, source, strings.Join(all, ", "))
		}
		return kept, nil
	case len(all) > 1:
		return nil, fmt.Errorf("%w: %s/%s is on %d sources (%s): name one with --source NAME, or --source %s for every one",
			ErrAmbiguous, pool, backend, len(all), strings.Join(all, ", "), AllSources)
	}
	return out, nil
}

// Sources lists the distinct sources of ms in order.
func Sources(ms []Match) []string {
	var out []string
	for _, m := range ms {
		if !slices.Contains(out, m.Row.Source) {
			out = append(out, m.Row.Source)
		}
	}
	return out
}

// Peers returns row and the same backend on the pool's other instances:
// the same name, or the same address when both report one. row comes
// first; rows on the same instance as row are left out.
func Peers(pool *model.PoolRow, row model.BackendRow) []model.BackendRow {
	out := []model.BackendRow{row}
	for _, b := range pool.Backends {
		if b.Source == row.Source && b.InstanceName() == row.InstanceName() {
			continue
		}
		if b.Name == row.Name || (b.Address != "" && b.Address == row.Address) {
			out = append(out, b)
		}
	}
	return out
}

func poolNames(f *model.Fleet) []string {
	out := make([]string, 0, len(f.Pools))
	for i := range f.Pools {
		if !slices.Contains(out, f.Pools[i].Name) {
			out = append(out, f.Pools[i].Name)
		}
	}
	return out
}

// suggest lists names close to want (containing it or contained in it),
// else the first few names, as ": known: a, b, c".
func suggest(names []string, want string) string {
	if len(names) == 0 {
		return ": none is reported"
	}
	lw := strings.ToLower(want)
	var close []string
	for _, n := range names {
		ln := strings.ToLower(n)
		if lw != "" && (strings.Contains(ln, lw) || strings.Contains(lw, ln)) {
			close = append(close, n)
		}
	}
	label := "did you mean"
	if len(close) == 0 {
		close, label = names, "known"
	}
	if len(close) > maxListed {
		close = append(close[:maxListed:maxListed], fmt.Sprintf("… %d more", len(close)-maxListed))
	}
	return " (" + label + ": " + strings.Join(close, ", ") + ")"
}
