package record

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
)

var t0 = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

// fleet builds one source's snapshot of pools×per backends at poll i:
// counters grow when churn is set, backend 0 of pool 0 is down on polls
// 10–19, one backend appears from poll 30 on (a shape change), and the
// proxy fails its own health check on polls 12–16 and from 35 on.
func fleet(source string, pools, per, i int, churn bool, rng *rand.Rand, prev *model.Snapshot) model.Snapshot {
	s := model.Snapshot{Source: source, Kind: model.KindHAProxy, At: t0.Add(time.Duration(i) * 2 * time.Second), Took: 3 * time.Millisecond,
		ProxyFailing: i >= 12 && i < 17 || i >= 35}
	for p := range pools {
		pool := model.Pool{Name: fmt.Sprintf("svc-%04d-backend", p)}
		n := per
		if p == 1 && i >= 30 {
			n++
		}
		for b := range n {
			be := model.Backend{
				Name: fmt.Sprintf("srv-%04d-%02d", p, b), Address: fmt.Sprintf("10.%d.%d.%d:8080", p/256, p%256, b),
				Health: model.Healthy, Reason: "L7OK 200", Weight: 10, Counters: true, Admin: model.AdminReady,
				Since: t0.Add(-time.Hour),
			}
			if prev != nil && p < len(prev.Pools) && b < len(prev.Pools[p].Backends) {
				old := prev.Pools[p].Backends[b]
				be.Requests, be.Errors = old.Requests, old.Errors
			}
			if churn {
				be.Requests += uint64(rng.IntN(200))
				be.Errors += uint64(rng.IntN(3))
			}
			if p == 0 && b == 0 && i >= 10 && i < 20 {
				be.Health, be.Reason, be.Since = model.Unhealthy, "L4CON", t0.Add(20*time.Second)
			}
			pool.Backends = append(pool.Backends, be)
		}
		s.Pools = append(s.Pools, pool)
	}
	return s
}

func TestRecordReplayRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rec.lbtop")
	r, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	r.keyEvery = 7 // several keyframes in a short run
	r.MergeAs("prom", model.KindHAProxy)
	written := writeChurn(t, r, 40, 3, 4, 25, rand.New(rand.NewPCG(1, 2)))
	ev := model.Event{Time: t0.Add(20 * time.Second), Type: model.EventBackend, Source: "lb1", Pool: "svc-0000-backend", Backend: "srv-0000-00", From: "healthy", To: "unhealthy", Reason: "L4CON"}
	if err := r.Event(ev); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	p := openPlayer(t, path)
	if p.Torn != 0 || !p.Start().Equal(t0) || len(p.Times()) != 40 {
		t.Fatalf("torn %d start %v times %d", p.Torn, p.Start(), len(p.Times()))
	}
	for _, i := range []int{0, 1, 6, 7, 8, 15, 24, 26, 31, 39} {
		got, err := p.At(written[i].At)
		if err != nil {
			t.Fatal(err)
		}
		last := got[len(got)-1]
		last.Took = written[i].Took
		if !reflect.DeepEqual(normal(last), normal(written[i])) {
			t.Errorf("poll %d: replayed snapshot differs\n got %+v\nwant %+v", i, last.Pools[0].Backends[0], written[i].Pools[0].Backends[0])
		}
		if j := i - 1 - boolInt(i == 26); i > 0 && (len(got) != 2 || !reflect.DeepEqual(normal(got[0]), normal(withTook(written[j], got[0].Took)))) {
			t.Errorf("poll %d: the previous good poll (for rates) differs or is missing (%d snapshots)", i, len(got))
		}
	}
	got, _ := p.At(written[25].At)
	if len(got) != 3 || got[2].Err == nil || got[2].Err.Error() != written[25].Err.Error() {
		t.Errorf("at the failed poll want prev, last good, failure; got %d snapshots", len(got))
	}
	evs, err := p.Events(time.Time{}, time.Time{})
	if err != nil || len(evs) != 1 || !reflect.DeepEqual(evs[0].Time.UTC(), ev.Time) || evs[0].Reason != "L4CON" {
		t.Errorf("events %+v %v", evs, err)
	}
}

// normal makes times comparable with DeepEqual.
func normal(s model.Snapshot) model.Snapshot {
	s.At = s.At.UTC()
	for i := range s.Pools {
		for j := range s.Pools[i].Backends {
			b := &s.Pools[i].Backends[j]
			b.Since = b.Since.UTC()
		}
	}
	if s.Err != nil {
		s.Err = errors.New(s.Err.Error())
	}
	return s
}

// TestTornRecording cuts a recording at every length inside its last
// records: replay reads everything before the cut, never fails, and a
// recorder appending to it first cuts off the torn record.
func TestTornRecording(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.lbtop")
	r, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var prev *model.Snapshot
	var sizes []int64
	for i := range 12 {
		s := fleet("lb1", 2, 3, i, true, rng, prev)
		prev = &s
		if err := r.Snapshot(s); err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(path)
		sizes = append(sizes, st.Size())
	}
	_ = r.Close()
	whole, _ := os.ReadFile(path)
	for cut := sizes[9] + 1; cut < int64(len(whole)); cut += 7 {
		torn := filepath.Join(dir, fmt.Sprintf("torn-%d", cut))
		if err := os.WriteFile(torn, whole[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := Open(torn)
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		want := 10 // whole polls before the cut
		if cut >= sizes[10] {
			want = 11
		}
		if n := len(p.Times()); n != want || p.Torn == 0 && cut != sizes[10] {
			t.Errorf("cut at %d: %d polls (torn %d), want %d", cut, n, p.Torn, want)
		}
		f, err := p.Fleet(p.End())
		if err != nil || len(f.Pools) != 2 {
			t.Errorf("cut at %d: fleet %v", cut, err)
		}
		_ = p.Close()
		r, err := Create(torn)
		if err != nil {
			t.Fatalf("append after a cut at %d: %v", cut, err)
		}
		s := fleet("lb1", 2, 3, 50, false, rng, nil)
		if err := r.Snapshot(s); err != nil {
			t.Fatal(err)
		}
		_ = r.Close()
		p, err = Open(torn)
		if err != nil || p.Torn != 0 || len(p.Times()) != want+1 {
			t.Errorf("append after a cut at %d: %d polls, torn %d, %v", cut, len(p.Times()), p.Torn, err)
		}
		_ = p.Close()
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file must be an error")
	}
	if err := os.WriteFile(filepath.Join(dir, "junk"), []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(dir, "junk")); err == nil {
		t.Error("a file that is not a recording must be an error")
	}
}

// writeHour records an hour of polls every 2 s of a 10,000-backend
// fleet (1,000 pools × 10) and returns the file's size. Names are built
// once: each poll is a fresh snapshot sharing them, as a source's would.
func writeHour(tb testing.TB, path string, churn bool) int64 {
	tb.Helper()
	r, err := Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	prev := fleet("lb1", 1000, 10, 0, churn, rng, nil)
	for i := range 1800 {
		s := prev
		s.At = t0.Add(time.Duration(i) * 2 * time.Second)
		s.Pools = make([]model.Pool, len(prev.Pools))
		for p := range s.Pools {
			s.Pools[p] = prev.Pools[p]
			bs := make([]model.Backend, len(prev.Pools[p].Backends))
			copy(bs, prev.Pools[p].Backends)
			for b := range bs {
				if churn {
					bs[b].Requests += uint64(rng.IntN(200))
					bs[b].Errors += uint64(rng.IntN(3))
				}
			}
			s.Pools[p].Backends = bs
		}
		if err := r.Snapshot(s); err != nil {
			tb.Fatal(err)
		}
		prev = s
	}
	if err := r.Close(); err != nil {
		tb.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// BenchmarkRecordHour reports the size of one hour of a 10,000-backend
// fleet polled every 2 s, with nothing changing and with every backend's
// counters changing on every poll.
//
//	go test -run '^$' -bench RecordHour -benchtime 1x -timeout 30m ./sources/record
func BenchmarkRecordHour(b *testing.B) {
	for _, tc := range []struct {
		name  string
		churn bool
	}{{"static", false}, {"churn", true}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				size := writeHour(b, filepath.Join(b.TempDir(), "rec.lbtop"), tc.churn)
				b.ReportMetric(float64(size)/(1<<20), "MB/hour")
			}
		})
	}
}

// BenchmarkSeekMiddle rebuilds the fleet at the middle of a one-hour
// churning recording of 10,000 backends (index built once by Open).
//
//	go test -run '^$' -bench SeekMiddle -benchtime 20x -timeout 30m ./sources/record
func BenchmarkSeekMiddle(b *testing.B) {
	path := filepath.Join(b.TempDir(), "rec.lbtop")
	writeHour(b, path, true)
	p, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	mid := p.Start().Add(p.End().Sub(p.Start()) / 2)
	// the worst case: the poll just before the next keyframe
	ts := p.Times()
	at := ts[len(ts)/2/defaultKeyEvery*defaultKeyEvery+defaultKeyEvery-1]
	if at.Before(mid) {
		at = mid
	}
	b.ResetTimer()
	for b.Loop() {
		f, err := p.Fleet(at)
		if err != nil || len(f.Pools) != 1000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordPoll is the cost of recording one poll of 10,000
// backends whose counters all changed (a delta).
func BenchmarkRecordPoll(b *testing.B) {
	r, err := Create(filepath.Join(b.TempDir(), "rec.lbtop"))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	a := fleet("lb1", 1000, 10, 0, true, rng, nil)
	c := fleet("lb1", 1000, 10, 1, true, rng, &a)
	r.keyEvery = 1 << 30
	if err := r.Snapshot(a); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := c
		if i%2 == 1 {
			s = a
		}
		if err := r.Snapshot(s); err != nil {
			b.Fatal(err)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func withTook(s model.Snapshot, d time.Duration) model.Snapshot {
	s.Took = d
	return s
}

// TestProxyStateAcrossSessions: a proxy failing when one recording
// session ends is not failing in the next unless that one says so.
func TestProxyStateAcrossSessions(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rec.lbtop")
	var written []model.Snapshot
	for session, failing := range [][]bool{{false, true, true}, {false, false, true}} {
		r, err := Create(path)
		if err != nil {
			t.Fatal(err)
		}
		for k, f := range failing {
			s := fleet("lb1", 1, 2, 3*session+k, false, nil, nil)
			s.ProxyFailing = f
			if err := r.Snapshot(s); err != nil {
				t.Fatal(err)
			}
			written = append(written, s)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	p := openPlayer(t, path)
	for i, w := range written {
		got, err := p.At(w.At)
		if err != nil || len(got) == 0 {
			t.Fatalf("poll %d: %v", i, err)
		}
		if last := got[len(got)-1]; last.ProxyFailing != w.ProxyFailing {
			t.Errorf("poll %d: proxy failing %v, recorded %v", i, last.ProxyFailing, w.ProxyFailing)
		}
	}
}

// openPlayer opens the recording at path, closed when the test ends.
func openPlayer(t *testing.T, path string) *Player {
	t.Helper()
	p, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}
