package model_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/model/modeltest"
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

// assertFleetSafe fails when any text of f could drive a terminal or a
// figure is out of range.
func assertFleetSafe(t *testing.T, f *model.Fleet) {
	t.Helper()
	if p := modeltest.Problems(f, model.Range{Min: 0, Max: 256}); len(p) > 0 {
		t.Error(strings.Join(p, "\n"))
	}
}

func hostileSnapshot(at time.Time) model.Snapshot {
	var pools []model.Pool
	for i, h := range hostile {
		pools = append(pools, model.Pool{
			Name: "pool" + h,
			Note: "note" + h,
			Backends: []model.Backend{
				{Name: "web" + h, Address: "10.0.0.1:80" + h, Zone: "z" + h, Instance: "i" + h, Reason: "DOWN" + h, Health: model.Unhealthy},
				{Name: fmt.Sprintf("clean%d", i), Address: "10.0.0.2:80", Reason: "reason" + h, Health: model.Healthy},
			},
			Aggregate: &model.Aggregate{Instance: "agg" + h, Total: 1},
		})
	}
	pools = append(pools, model.Pool{Name: "clean", Backends: []model.Backend{{Name: "ok", Health: model.Healthy}}})
	return model.Snapshot{Source: "s", Kind: model.KindHAProxy, Pools: pools, At: at, Note: "n\x1b[2J",
		Metrics: []model.Metric{{Name: "m\x1b]0;x\x07", Value: 1}}}
}

func TestIngestSanitizesEverySourceText(t *testing.T) {
	t.Parallel()
	s := model.NewStore(nil)
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
			if wantEscaped != (err != nil) || (err != nil && !errors.Is(err, model.ErrEscapedName)) {
				t.Errorf("%s/%s: Addressable() = %v", p.Name, b.Name, err)
			}
		}
	}
	if _, row := f.Locate(model.BackendRef{Source: "s", Pool: "clean", Backend: "ok"}); row == nil || row.Escaped {
		t.Errorf("clean backend: %+v", row)
	}

	// A failed poll: the error is cut and escaped, and still wraps the cause.
	huge := errors.New(strings.Repeat("\x1b[31mBAD\u202e", 1<<16))
	cause := fmt.Errorf("poll: %w: %w", context.DeadlineExceeded, huge)
	f = s.Ingest(model.Snapshot{Source: "s", Kind: model.KindHAProxy, Err: cause, At: time.Now()})
	assertFleetSafe(t, f)
	if e := model.SanitizeError(cause); !errors.Is(e, context.DeadlineExceeded) || len(e.Error()) > model.MaxErrorText+len("…(cut)") {
		t.Errorf("model.SanitizeError: %d bytes, Is(DeadlineExceeded) %v", len(e.Error()), errors.Is(e, context.DeadlineExceeded))
	}
}

func TestSanitizeSnapshotKeepsCleanSnapshotAsIs(t *testing.T) {
	t.Parallel()
	snap := model.Snapshot{Source: "s", Pools: []model.Pool{{Name: "p", Backends: []model.Backend{{Name: "b", Reason: "UP ✔ 日本"}}}}, Metrics: []model.Metric{{Name: "m"}}}
	got := model.SanitizeSnapshot(snap)
	if &got.Pools[0] != &snap.Pools[0] || &got.Pools[0].Backends[0] != &snap.Pools[0].Backends[0] || &got.Metrics[0] != &snap.Metrics[0] {
		t.Error("a clean snapshot was copied")
	}
	plain := errors.New("dial tcp 127.0.0.1:1: connection refused")
	if model.SanitizeError(plain) != plain || model.SanitizeError(nil) != nil {
		t.Error("a clean error was wrapped")
	}
}

func BenchmarkIngestClean(b *testing.B) {
	snap := model.Snapshot{Source: "s", Kind: model.KindHAProxy, At: time.Now()}
	for i := range 1000 {
		p := model.Pool{Name: fmt.Sprintf("pool-%d", i)}
		for j := range 10 {
			p.Backends = append(p.Backends, model.Backend{Name: fmt.Sprintf("srv-%d", j), Address: "10.0.0.1:8080", Reason: "L7STS 503 (Service Unavailable)"})
		}
		snap.Pools = append(snap.Pools, p)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = model.SanitizeSnapshot(snap)
	}
}
