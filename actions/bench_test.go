package actions_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// bigFleet is 10,000 pools of 10 backends, one in ten drained.
func bigFleet() *model.Fleet {
	st := model.NewStore(nil)
	pools := make([]model.Pool, 10000)
	for i := range pools {
		bs := make([]model.Backend, 10)
		for j := range bs {
			bs[j] = model.Backend{Name: fmt.Sprintf("b%d", j), Health: model.Healthy, Weight: 1, Admin: model.AdminReady}
		}
		bs[i%10].Health, bs[i%10].Admin = model.Draining, model.AdminDrain
		pools[i] = model.Pool{Name: fmt.Sprintf("p%d", i), Backends: bs}
	}
	return st.Ingest(model.Snapshot{Source: "s", Kind: model.KindHAProxy, At: time.Now(), Pools: pools})
}

// BenchmarkSeen100k is the engine's per-fleet cost of dating backends out
// of rotation (off the UI goroutine).
func BenchmarkSeen100k(b *testing.B) {
	f := bigFleet()
	seen := actions.Seen(f, nil, time.Now())
	b.ReportAllocs()
	for b.Loop() {
		seen = actions.Seen(f, seen, time.Now())
	}
}

// BenchmarkAppend is one audit line written and fsynced.
func BenchmarkAppend(b *testing.B) {
	l, err := actions.Open(filepath.Join(b.TempDir(), "audit.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	before := actions.State{Health: model.Healthy, Reason: "UP", Admin: model.AdminReady, Weight: 10}
	e := actions.Entry{Time: time.Now(), User: actions.Who{Login: "alice"}, Host: "h", Source: "lb1", Pool: "web", Backend: "web-1",
		Action: "drain", Before: &before, After: &before, Result: actions.Confirmed}
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Append(e); err != nil {
			b.Fatal(err)
		}
	}
}
