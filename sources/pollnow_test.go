package sources_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/haproxy"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

// overlapSource polls a real HAProxy and counts polls in flight at once.
type overlapSource struct {
	sources.Source
	now, most, polls atomic.Int32
}

func (o *overlapSource) Poll(ctx context.Context) (model.Snapshot, error) {
	n := o.now.Add(1)
	defer o.now.Add(-1)
	o.polls.Add(1)
	for {
		m := o.most.Load()
		if n <= m || o.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(5 * time.Millisecond) // long enough for callers to overlap
	return o.Source.Poll(ctx)
}

// TestPollNowJoinsTheHubsPolls: while the Hub runs, PollNow callers get a
// poll that started after their call, delivered on the Hub's channel too
// (so the Store sees it), and never two polls of one source at once.
func TestPollNowJoinsTheHubsPolls(t *testing.T) {
	t.Parallel()
	inst := haproxytest.Start(t, haproxytest.Config{Backends: []haproxytest.Backend{{Name: "web", Servers: []haproxytest.Server{{Name: "a"}}}}})
	src := &overlapSource{Source: haproxy.New("h", inst.Addr)}
	hub, err := sources.NewHub([]sources.Entry{{Source: src, Interval: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Before Run: PollNow polls directly, still one at a time.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if snap := hub.PollNow(ctx, "h"); snap.Err != nil || len(snap.Pools) == 0 {
				t.Errorf("PollNow before Run: %v, %d pools", snap.Err, len(snap.Pools))
			}
		}()
	}
	wg.Wait()
	snaps := hub.Run(ctx)
	<-snaps // the first scheduled poll
	seen := make(chan time.Time, 100)
	go func() {
		for s := range snaps {
			seen <- s.At
		}
	}()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			asked := time.Now()
			snap := hub.PollNow(ctx, "h")
			if snap.Err != nil || snap.At.Add(-snap.Took).Before(asked) {
				t.Errorf("PollNow: err %v, poll started %v before the call", snap.Err, asked.Sub(snap.At.Add(-snap.Took)))
			}
		}()
	}
	wg.Wait()
	if got := src.most.Load(); got != 1 {
		t.Errorf("%d polls of one source ran at once", got)
	}
	select {
	case <-seen:
	case <-time.After(5 * time.Second):
		t.Fatal("PollNow's poll never reached the Hub's channel")
	}
	if snap := hub.PollNow(ctx, "nope"); snap.Err == nil {
		t.Error("PollNow of an unknown source: no error")
	}
}
