package model

import (
	"errors"
	"fmt"
	"slices"
)

// Text from a source is made terminal-safe once, here, as it enters the
// Store: every name, address, zone, instance, reason and note of a
// snapshot goes through SafeText and its error through SafeError. Every
// output built from a Fleet (dashboard, --once table, stderr) then shows
// only safe text, and column widths are measured on what is shown.
// JSON output adds its own escaping on top.

// ErrEscapedName is wrapped by the error of an action on a backend whose
// name, address or pool name held characters lbtop shows escaped.
var ErrEscapedName = errors.New("its name holds control or bidi characters that lbtop shows escaped, so lbtop cannot name it to the system; act with the system's own tools")

// Addressable returns nil when an action can name b to its system, and
// an error wrapping ErrEscapedName when the Store had to escape its name,
// address or pool name: the escaped text (`web\x1b`) is not the system's
// name and may even be the name of another backend.
func (b Backend) Addressable() error {
	if !b.Escaped {
		return nil
	}
	return fmt.Errorf("backend %q: %w", b.Name, ErrEscapedName)
}

// safeErr is an error whose message was made safe; Unwrap still reaches
// the original for errors.Is and errors.As.
type safeErr struct {
	msg string
	err error
}

func (e *safeErr) Error() string { return e.msg }
func (e *safeErr) Unwrap() error { return e.err }

// SanitizeError returns err with its message passed through SafeError
// (control characters escaped, cut to MaxErrorText bytes), or err itself
// when the message needs no change. nil stays nil.
func SanitizeError(err error) error {
	if err == nil {
		return nil
	}
	var se *safeErr
	if errors.As(err, &se) && se == err {
		return err
	}
	msg := err.Error()
	if s := SafeError(msg); s != msg {
		return &safeErr{msg: s, err: err}
	}
	return err
}

// SanitizeSnapshot returns snap with every text that came from the source
// made safe, as the Store sees it; a snapshot read outside the Store (an
// action's verifying poll) goes through it too. Snapshots are shared values, so slices are copied only where
// something had to change; a clean snapshot costs one scan and no
// allocation.
func SanitizeSnapshot(snap Snapshot) Snapshot {
	snap.Err = SanitizeError(snap.Err)
	snap.Note = SafeText(snap.Note)
	cloned := false
	for i, m := range snap.Metrics {
		if s := SafeText(m.Name); s != m.Name {
			if !cloned {
				snap.Metrics, cloned = slices.Clone(snap.Metrics), true
			}
			snap.Metrics[i].Name = s
		}
	}
	snap.Pools = sanitizePools(snap.Pools)
	return snap
}

// sanitizePools returns pools with safe names, notes and backends,
// copying the slice only when some pool changed.
func sanitizePools(pools []Pool) []Pool {
	var out []Pool
	for i := range pools {
		p := pools[i]
		changed := false
		name := SafeText(p.Name)
		escaped := name != p.Name
		if escaped {
			p.Name, changed = name, true
		}
		if s := SafeText(p.Note); s != p.Note {
			p.Note, changed = s, true
		}
		if a := p.Aggregate; a != nil {
			if s := SafeText(a.Instance); s != a.Instance {
				c := *a
				c.Instance = s
				p.Aggregate, changed = &c, true
			}
		}
		if bs, ok := sanitizeBackends(p.Backends, escaped); ok {
			p.Backends, changed = bs, true
		}
		if !changed {
			continue
		}
		if out == nil {
			out = slices.Clone(pools)
		}
		out[i] = p
	}
	if out == nil {
		return pools
	}
	return out
}

// sanitizeBackends returns safe copies of bs and true when any text had
// to change. poolEscaped marks every backend Escaped: an action names the
// pool too.
func sanitizeBackends(bs []Backend, poolEscaped bool) ([]Backend, bool) {
	var out []Backend
	for j := range bs {
		b := &bs[j] // read in place: a Backend is ~200 bytes, most need no change
		name, addr := SafeText(b.Name), SafeText(b.Address)
		escaped := poolEscaped || name != b.Name || addr != b.Address
		zone, inst, reason := SafeText(b.Zone), SafeText(b.Instance), SafeText(b.Reason)
		if !escaped && zone == b.Zone && inst == b.Instance && reason == b.Reason {
			continue
		}
		if out == nil {
			out = slices.Clone(bs)
		}
		c := &out[j]
		c.Name, c.Address, c.Zone, c.Instance, c.Reason = name, addr, zone, inst, reason
		c.Escaped = c.Escaped || escaped
	}
	return out, out != nil
}
