package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// histRun feeds a store one snapshot per step, 2 s apart, and returns the
// store and every event taken along the way.
func histRun(t *testing.T, steps ...Snapshot) (*Store, []Event) {
	t.Helper()
	now := t0
	s := NewStore(func() time.Time { return now })
	var evs []Event
	for i, sn := range steps {
		now = t0.Add(time.Duration(i) * 2 * time.Second)
		sn.At = now
		s.Ingest(sn)
		evs = append(evs, s.History().TakeEvents()...)
	}
	return s, evs
}

func web(bs ...Backend) Pool { return Pool{Name: "web", Backends: bs} }

func down(name, reason string) Backend {
	b := be(name, Unhealthy, 0, 0)
	b.Reason = reason
	return b
}

func TestHistoryBackendTransitionsAndPoolEvents(t *testing.T) {
	t.Parallel()
	ok := snap("lb", t0, web(be("a", Healthy, 0, 0), be("b", Healthy, 0, 0)))
	bad := snap("lb", t0, web(down("a", "L4CON"), be("b", Healthy, 0, 0)))
	allBad := snap("lb", t0, web(down("a", "L4CON"), down("b", "L7STS 503")))
	s, evs := histRun(t, ok, bad, allBad, ok)
	want := []string{
		"backend lb web/a healthy→unhealthy L4CON",
		"pool lb web/ ok→degraded 1 of 2 members out: 1 out: L4CON",
		"backend lb web/b healthy→unhealthy L7STS 503",
		"pool lb web/ degraded→down no member serves: 2 out: L4CON (first of 2)",
		"backend lb web/a unhealthy→healthy ",
		"backend lb web/b unhealthy→healthy ",
		"pool lb web/ down→ok 2 of 2 healthy",
	}
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s %s %s/%s %s→%s %s", e.Type, e.Source, e.Pool, e.Backend, e.From, e.To, e.Reason))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events\n got %q\nwant %q", got, want)
	}
	if !evs[3].NoHealthy || !evs[3].Bell() || evs[1].Bell() {
		t.Errorf("the pool losing its last backend must ring, the others not: %+v", evs)
	}
	k := BackendKey{Source: "lb", Pool: "web", Name: "a"}
	tr := s.History().Transitions(k)
	if len(tr) != 2 || !tr[0].At.Equal(t0.Add(2*time.Second)) || tr[1].To != "healthy" {
		t.Errorf("transitions %+v", tr)
	}
	if n, flap := s.History().Flapping(k, t0.Add(6*time.Second)); n != 2 || flap {
		t.Errorf("Flapping = %d %v, want 2 false", n, flap)
	}
	f := s.Fleet()
	_, row := f.Locate(BackendRef{Source: "lb", Pool: "web", Backend: "a"})
	if since, exact := s.History().TimeInState(row); !exact || !since.Equal(t0.Add(6*time.Second)) {
		t.Errorf("TimeInState = %v %v", since, exact)
	}
}

func TestHistoryFlappingThreshold(t *testing.T) {
	t.Parallel()
	ok := snap("lb", t0, web(be("a", Healthy, 0, 0)))
	bad := snap("lb", t0, web(down("a", "L4CON")))
	s, _ := histRun(t, ok, bad, ok, bad)
	n, flap := s.History().Flapping(BackendKey{Source: "lb", Pool: "web", Name: "a"}, t0.Add(6*time.Second))
	if n != 3 || !flap {
		t.Errorf("3 changes in 6 s: Flapping = %d %v, want 3 true", n, flap)
	}
	n, flap = s.History().Flapping(BackendKey{Source: "lb", Pool: "web", Name: "a"}, t0.Add(FlapWindow+5*time.Second))
	if n != 1 || flap {
		t.Errorf("5 min later: Flapping = %d %v, want 1 false", n, flap)
	}
}

func TestHistoryStaleSourceIsAGapNotAReset(t *testing.T) {
	t.Parallel()
	ok := snap("lb", t0, web(be("a", Healthy, 0, 0)))
	bad := snap("lb", t0, web(down("a", "L4CON")))
	failed := Snapshot{Source: "lb", Kind: KindHAProxy, Err: errors.New("dial unix /run/haproxy.sock: connect: connection refused")}
	s, evs := histRun(t, ok, bad, failed, failed, failed, bad, ok)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Type.String()+":"+e.From+"→"+e.To)
	}
	want := "[backend:healthy→unhealthy pool:ok→down source:ok→failing source:failing→ok backend:unhealthy→healthy pool:down→ok]"
	if fmt.Sprint(kinds) != want {
		t.Fatalf("events %v\nwant %s", kinds, want)
	}
	if evs[2].Reason == "" {
		t.Error("source event without the error")
	}
	smp := s.History().Samples("haproxy/web", t0, t0.Add(12*time.Second))
	var marks string
	for _, x := range smp {
		switch {
		case x.Gap:
			marks += "_"
		default:
			marks += fmt.Sprint(x.Healthy)
		}
	}
	if marks != "10___01" {
		t.Errorf("samples %q, want 10___01 (a gap while the source failed)", marks)
	}
}

func TestHistoryBackendGoneAndBack(t *testing.T) {
	t.Parallel()
	two := snap("lb", t0, web(be("a", Healthy, 0, 0), be("b", Healthy, 0, 0)))
	one := snap("lb", t0, web(be("a", Healthy, 0, 0)))
	s, evs := histRun(t, two, one, one, two)
	var got []string
	for _, e := range evs {
		if e.Type == EventBackend {
			got = append(got, e.Backend+":"+e.From+"→"+e.To)
		}
	}
	if fmt.Sprint(got) != "[b:healthy→gone b:gone→healthy]" {
		t.Errorf("events %v", got)
	}
	if n := s.History().Changes(BackendKey{Source: "lb", Pool: "web", Name: "b"}, t0); n != 2 {
		t.Errorf("b kept %d changes across its absence, want 2", n)
	}
}

func TestHistoryViewIsImmutable(t *testing.T) {
	t.Parallel()
	ok := snap("lb", t0, web(be("a", Healthy, 10, 1)))
	bad := snap("lb", t0, web(down("a", "L4CON")))
	s, _ := histRun(t, ok, bad)
	v := s.History().View(t0.Add(2*time.Second), 3)
	evs := len(v.Events())
	sp := v.Spark("haproxy/web")
	if len(sp) != 3 || !math.IsNaN(float64(sp[0].Ratio)) || sp[1].Ratio != 1 || sp[2].Ratio != 0 {
		t.Fatalf("spark %+v", sp)
	}
	row := BackendRow{Backend: Backend{Name: "a"}, Source: "lb", Pool: "web"}
	if bh := v.Backend(&row); !bh.Exact || bh.Flaps != 1 || !bh.Since.Equal(t0.Add(2*time.Second)) {
		t.Errorf("view backend %+v", bh)
	}
	kept := fmt.Sprint(sp)
	now := t0.Add(4 * time.Second)
	ok.At = now
	s.Ingest(ok)
	next := s.History().View(now, 3).Spark("haproxy/web")
	if len(v.Events()) != evs || v.Backend(&row).Flaps != 1 || fmt.Sprint(v.Spark("haproxy/web")) != kept {
		t.Error("a view changed after the history moved on")
	}
	if fmt.Sprint(next) == kept {
		t.Errorf("the next view's spark %+v is the old one's", next)
	}
}

// TestHistoryViewTickInProgress: a view built in the tick after a pool's
// last sample (another source polled first) ends on that sample, not on
// a gap, so "✘ for 4s" and the sparkline do not blink between polls; a
// tick with no sample after that is a gap.
func TestHistoryViewTickInProgress(t *testing.T) {
	t.Parallel()
	bad := snap("lb", t0, web(down("a", "L4CON")))
	s, _ := histRun(t, bad, bad)
	for _, c := range []struct {
		after time.Duration
		gap   bool
	}{{0, false}, {2 * time.Second, false}, {3 * time.Second, false}, {4 * time.Second, true}} {
		sp := s.History().View(t0.Add(2*time.Second+c.after), 3).Spark("haproxy/web")
		if last := sp[len(sp)-1].Ratio; math.IsNaN(float64(last)) != c.gap || (!c.gap && last != 0) {
			t.Errorf("view %s after the last poll: last point %v, want gap %v", c.after, last, c.gap)
		}
	}
}

func TestSampleEncoding(t *testing.T) {
	t.Parallel()
	for _, v := range []float64{0, 0.5, 1, 3, 1234.5, 1e6, 4e9} {
		s := packSample(v, v/2, 0)
		// within 0.27% of 1+v
		if got := s.req(); math.Abs(got-v) > (1+v)*0.0028 {
			t.Errorf("req/s round trip %g → %g", v, got)
		}
		if got := s.errRate(); math.Abs(got-v/2) > (1+v/2)*0.0028 {
			t.Errorf("5xx/s round trip %g → %g", v/2, got)
		}
		if s.gap() {
			t.Errorf("%g reads as a gap", v)
		}
	}
	for _, a := range []int64{0, 1, 2, 3, 5, 7, 10, 100, 1000, 65_000, 1 << 31} {
		got := packSample(0, 0, a).active()
		if math.Abs(float64(got-a)) > float64(a)*0.045 {
			t.Errorf("active round trip %d → %d", a, got)
		}
		if a <= 7 && got != a {
			t.Errorf("active %d must be exact, got %d", a, got)
		}
	}
	if got := packSample(0, 0, 1<<40).active(); got < 1<<31 {
		t.Errorf("active must saturate, not wrap: %d", got)
	}
	if !gapSample.gap() || packSample(1e12, 1e12, 1<<62).gap() {
		t.Error("only gapSample is a gap")
	}
	if count16(70000) != maxCount || count16(-1) != 0 {
		t.Error("counts must saturate")
	}
}

// BenchmarkHistoryMemory100k keeps 30 minutes of history at 2 s for
// 100,000 backends in 10,000 pools (four sources), with 0.1% of backends
// changing state on each poll, and reports the live heap of the Store
// (its data, its last fleet and the history) after a GC. The "none" case
// is the same Store with a history one tick long: the difference is what
// 30 minutes cost.
//
//	go test -run '^$' -bench HistoryMemory100k -benchtime 1x ./model
func BenchmarkHistoryMemory100k(b *testing.B) {
	for _, tc := range []struct {
		name   string
		window time.Duration
	}{{"30m", 30 * time.Minute}, {"none", 2 * time.Second}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				heap, sys := historyHeap(tc.window)
				b.ReportMetric(heap, "heap-MB")
				b.ReportMetric(sys, "sys-MB")
			}
		})
	}
}

func historyHeap(window time.Duration) (heapMB, sysMB float64) {
	snaps := bigSnapshots(100_000, 10)
	now := t0
	s := NewStore(func() time.Time { return now })
	s.UseHistory(NewHistory(window, 2*time.Second))
	var f *Fleet
	for _, sn := range snaps {
		f = s.Ingest(sn)
	}
	// Feed the history 900 polls per source without rebuilding the
	// fleet each time (that is Ingest's cost, measured elsewhere):
	// advance the clock, flip a few backends, observe.
	for poll := range 900 {
		now = t0.Add(time.Duration(poll+1) * 2 * time.Second)
		f.At = now
		for i := range f.Sources {
			f.Sources[i].LastPoll = now
		}
		for j := range 100 {
			p := &f.Pools[(poll*131+j*97)%len(f.Pools)] // the store's one copy of the backends
			bk := &p.Backends[j%len(p.Backends)]
			if bk.Health == Healthy {
				bk.Health = Unhealthy
			} else {
				bk.Health = Healthy
			}
		}
		s.observe(f)
		s.History().TakeEvents()
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(s)
	runtime.KeepAlive(f)
	return float64(ms.HeapInuse) / (1 << 20), float64(ms.Sys) / (1 << 20)
}

// BenchmarkHistoryObserve100k is the cost History adds to each fleet of
// 100,000 backends in 10,000 pools.
func BenchmarkHistoryObserve100k(b *testing.B) {
	now := t0
	s := NewStore(func() time.Time { return now })
	var f *Fleet
	for _, sn := range bigSnapshots(100_000, 10) {
		f = s.Ingest(sn)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now = t0.Add(time.Duration(i+1) * 2 * time.Second)
		f.At = now
		for i := range f.Sources {
			f.Sources[i].LastPoll = now
		}
		s.observe(f)
	}
}

func TestPoolRingTicks(t *testing.T) {
	t.Parallel()
	ph := &poolHist{samples: sampleRing{size: 6}}
	for _, tc := range []struct {
		tick int64
		req  float64
	}{{0, 1}, {1, 2}, {1, 3}, {3, 4}, {7, 5}} {
		ph.putCounts(tc.tick, 1, 2)
		ph.put(tc.tick, packSample(tc.req, 0, 0))
	}
	var got []string
	for tk := int64(1); tk <= 8; tk++ {
		s := ph.export(tk, t0)
		if s.Gap {
			got = append(got, "_")
		} else {
			got = append(got, fmt.Sprintf("%.0f", s.ReqRate))
		}
	}
	// tick 1 rewritten (3); tick 2 skipped by jitter repeats tick 1; ticks
	// 4–6 are a gap; tick 1 has left the 6-slot ring; tick 8 is not yet.
	if fmt.Sprint(got) != "[_ 3 4 _ _ _ 5 _]" {
		t.Errorf("ring %v", got)
	}
}

// TestKeyIndexCollisions: with keys hashing alike (all to one slot, or
// to a few slots at the end of the table so that probes wrap around),
// records are still found, removed and their slots reused by key, through
// random puts and deletes checked against a map.
func TestKeyIndexCollisions(t *testing.T) {
	t.Parallel()
	for name, hash := range map[string]func(backendKey) uint64{
		"maphash": hashKey,
		"one":     func(backendKey) uint64 { return 7 },
		"wrap":    func(k backendKey) uint64 { return 1<<40 - 1 - uint64(len(k.name)%3) },
	} {
		rng := rand.New(rand.NewPCG(5, 6))
		var x keyIndex
		var recs []backendHist
		var free []int32
		ref := map[backendKey]int32{}
		key := func(i int) backendKey { return backendKey{pool: "p", name: strings.Repeat("x", i%7) + strconv.Itoa(i)} }
		for step := range 2000 {
			k := key(rng.IntN(300))
			if r, ok := ref[k]; ok && rng.IntN(2) == 0 { // evict, as History.evict does
				x.del(r, recs)
				delete(ref, k)
				recs[r] = backendHist{}
				free = append(free, r)
			} else if !ok {
				rec := backendHist{key: k, hash: hash(k), seen: 1}
				var r int32
				if n := len(free); n > 0 {
					r, free = free[n-1], free[:n-1]
					recs[r] = rec
				} else {
					r = int32(len(recs))
					recs = append(recs, rec)
				}
				x.put(r, recs)
				ref[k] = r
			}
			if step%16 != 0 {
				continue
			}
			for i := range 300 {
				k := key(i)
				r, ok := x.get(k, hash(k), recs)
				want, wantOK := ref[k]
				if ok != wantOK || ok && r != want {
					t.Fatalf("%s: get(%v) = %d, %v; want %d, %v", name, k, r, ok, want, wantOK)
				}
			}
		}
		if x.n != len(ref) {
			t.Errorf("%s: index counts %d keys, holds %d", name, x.n, len(ref))
		}
	}
}

// TestHistoryViewFindsEveryBackend: a view answers for each backend what
// the history does (time in state, exact, flaps in the window), for
// backends that changed on several sources and those that did not.
func TestHistoryViewFindsEveryBackend(t *testing.T) {
	t.Parallel()
	now := t0
	s := NewStore(func() time.Time { return now })
	var f *Fleet
	for poll := range 12 {
		now = t0.Add(time.Duration(poll) * 2 * time.Second)
		for src := range 3 {
			var bs []Backend
			for i := range 40 {
				h := Healthy
				if (i*(src+1)+poll/(1+i%4))%5 == 0 {
					h = Unhealthy
				}
				bs = append(bs, be("s"+strconv.Itoa(i), h, 0, 0))
			}
			f = s.Ingest(snap("lb"+strconv.Itoa(src), now, web(bs...), Pool{Name: "api", Backends: bs[:7]}))
		}
	}
	v := s.History().View(now, 0)
	n, changed := 0, 0
	for _, p := range f.Pools {
		for i := range p.Backends {
			b := &p.Backends[i]
			since, exact := s.History().TimeInState(b)
			want := BackendHistory{Since: since, Exact: exact, Flaps: s.History().Changes(KeyOf(b), now.Add(-DefaultHistoryWindow))}
			if !exact {
				want.Since = v.first[b.Source]
			}
			if got := v.Backend(b); got != want {
				t.Errorf("%s %s/%s: view %+v, history %+v", b.Source, b.Pool, b.Name, got, want)
			}
			n++
			if exact {
				changed++
			}
		}
	}
	if changed == 0 || changed == n {
		t.Fatalf("%d of %d backends changed: the test needs both kinds", changed, n)
	}
}

// TestHistoryTimeInStateExact: a backend seen from the first poll, or
// appearing later, has been in its state at least since then (not
// exact); once lbtop sees it change, since when is exact.
func TestHistoryTimeInStateExact(t *testing.T) {
	t.Parallel()
	one := snap("lb", t0, web(be("a", Healthy, 0, 0)))
	two := snap("lb", t0, web(be("a", Healthy, 0, 0), be("b", Healthy, 0, 0)))
	flip := snap("lb", t0, web(down("a", "L4CON"), be("b", Healthy, 0, 0)))
	s, _ := histRun(t, one, two, flip)
	h := s.History()
	for _, c := range []struct {
		name  string
		since time.Time
		exact bool
	}{{"a", t0.Add(4 * time.Second), true}, {"b", t0.Add(2 * time.Second), false}} {
		row := BackendRow{Backend: Backend{Name: c.name}, Source: "lb", Pool: "web"}
		if since, exact := h.TimeInState(&row); !since.Equal(c.since) || exact != c.exact {
			t.Errorf("%s: since %v exact %v, want %v %v", c.name, since, exact, c.since, c.exact)
		}
	}
}
