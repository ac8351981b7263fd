package model

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// hostile are texts a misbehaving source sent: a title change, a screen
// clear, colour and blink, a C1 CSI, a right-to-left override, a bare
// C1 byte that is not UTF-8.
var hostile = []string{
	"\x1b]2;pwned\x07",
	"\x1b[2J",
	"\x1b[5;31mUP\x1b[0m",
	"\u009b31m",
	"\u202egnp.exe",
	"\x9b2J",
}

// unsafeIn reports the first byte sequence of s that must not reach a
// terminal raw: ESC, any C0 or C1 control, DEL, a bidi control, bad UTF-8.
func unsafeIn(s string) string {
	if t := SafeText(s); t != s {
		return fmt.Sprintf("%q (safe form %q)", s, t)
	}
	return ""
}

// AssertFleetSafe fails when any text of f could drive a terminal.
func assertFleetSafe(t *testing.T, f *Fleet) {
	t.Helper()
	check := func(what, s string) {
		if u := unsafeIn(s); u != "" {
			t.Errorf("%s: %s", what, u)
		}
	}
	for _, s := range f.Sources {
		check("source error", s.Err)
		check("source note", s.Note)
		if len(s.Err) > MaxErrorText+len(truncMark) {
			t.Errorf("source error is %d bytes", len(s.Err))
		}
		for _, m := range s.Metrics {
			check("metric", m.Name)
		}
	}
	for _, p := range f.Pools {
		check("pool", p.Name)
		for _, n := range p.Notes {
			check("pool note", n)
		}
		for _, a := range p.Aggregates {
			check("aggregate instance", a.Instance)
		}
		for _, b := range p.Backends {
			for _, s := range []string{b.Name, b.Address, b.Zone, b.Instance, b.Reason, b.Pool} {
				check("backend "+b.Name, s)
			}
		}
	}
}

func hostileSnapshot(at time.Time) Snapshot {
	var pools []Pool
	for i, h := range hostile {
		pools = append(pools, Pool{
			Name: "pool" + h,
			Note: "note" + h,
			Backends: []Backend{
				{Name: "web" + h, Address: "10.0.0.1:80" + h, Zone: "z" + h, Instance: "i" + h, Reason: "DOWN" + h, Health: Unhealthy},
				{Name: fmt.Sprintf("clean%d", i), Address: "10.0.0.2:80", Reason: "reason" + h, Health: Healthy},
			},
			Aggregate: &Aggregate{Instance: "agg" + h, Total: 1},
		})
	}
	pools = append(pools, Pool{Name: "clean", Backends: []Backend{{Name: "ok", Health: Healthy}}})
	return Snapshot{Source: "s", Kind: KindHAProxy, Pools: pools, At: at, Note: "n\x1b[2J",
		Metrics: []Metric{{Name: "m\x1b]0;x\x07", Value: 1}}}
}

func TestIngestSanitizesEverySourceText(t *testing.T) {
	t.Parallel()
	s := NewStore(nil)
	snap := hostileSnapshot(time.Now())
	orig := snap.Pools[0].Backends[0].Name
	f := s.Ingest(snap)
	assertFleetSafe(t, f)
	if snap.Pools[0].Backends[0].Name != orig {
		t.Errorf("Ingest changed the caller's snapshot: %q", snap.Pools[0].Backends[0].Name)
	}
	for _, p := range f.Pools {
		for _, b := range p.Backends {
			wantEscaped := strings.Contains(p.Name, `\`) || strings.Contains(b.Name, `\`) || strings.Contains(b.Address, `\`)
			if b.Escaped != wantEscaped {
				t.Errorf("%s/%s: Escaped %v, want %v", p.Name, b.Name, b.Escaped, wantEscaped)
			}
			err := b.Addressable()
			if wantEscaped != (err != nil) || (err != nil && !errors.Is(err, ErrEscapedName)) {
				t.Errorf("%s/%s: Addressable() = %v", p.Name, b.Name, err)
			}
		}
	}
	if _, row := f.Locate(BackendRef{Source: "s", Pool: "clean", Backend: "ok"}); row == nil || row.Escaped {
		t.Errorf("clean backend: %+v", row)
	}

	// A failed poll: the error is cut and escaped, and still wraps the cause.
	huge := errors.New(strings.Repeat("\x1b[31mBAD\u202e", 1<<16))
	cause := fmt.Errorf("poll: %w: %w", context.DeadlineExceeded, huge)
	f = s.Ingest(Snapshot{Source: "s", Kind: KindHAProxy, Err: cause, At: time.Now()})
	assertFleetSafe(t, f)
	if e := SanitizeError(cause); !errors.Is(e, context.DeadlineExceeded) || len(e.Error()) > MaxErrorText+len(truncMark) {
		t.Errorf("SanitizeError: %d bytes, Is(DeadlineExceeded) %v", len(e.Error()), errors.Is(e, context.DeadlineExceeded))
	}
}

func TestSanitizeSnapshotKeepsCleanSnapshotAsIs(t *testing.T) {
	t.Parallel()
	snap := Snapshot{Source: "s", Pools: []Pool{{Name: "p", Backends: []Backend{{Name: "b", Reason: "UP ✔ 日本"}}}}, Metrics: []Metric{{Name: "m"}}}
	got := SanitizeSnapshot(snap)
	if &got.Pools[0] != &snap.Pools[0] || &got.Pools[0].Backends[0] != &snap.Pools[0].Backends[0] || &got.Metrics[0] != &snap.Metrics[0] {
		t.Error("a clean snapshot was copied")
	}
	plain := errors.New("dial tcp 127.0.0.1:1: connection refused")
	if SanitizeError(plain) != plain || SanitizeError(nil) != nil {
		t.Error("a clean error was wrapped")
	}
}

func BenchmarkIngestClean(b *testing.B) {
	snap := Snapshot{Source: "s", Kind: KindHAProxy, At: time.Now()}
	for i := range 1000 {
		p := Pool{Name: fmt.Sprintf("pool-%d", i)}
		for j := range 10 {
			p.Backends = append(p.Backends, Backend{Name: fmt.Sprintf("srv-%d", j), Address: "10.0.0.1:8080", Reason: "L7STS 503 (Service Unavailable)"})
		}
		snap.Pools = append(snap.Pools, p)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = SanitizeSnapshot(snap)
	}
}
