package faulttest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/envoy"
	"github.com/lbtop/lbtop/sources/faulttest"
	"github.com/lbtop/lbtop/sources/haproxy"
	"github.com/lbtop/lbtop/sources/nginx"
	"github.com/lbtop/lbtop/sources/prometheus"
)

// The fault matrix: every source kind against every fault, each poll
// held to the reading policy.
const (
	testLimit   = 8 << 20 // small, so "heap growth under 2× the limit" says something
	pollTimeout = time.Second
	// heavyTimeout is the deadline of the oversized cases, which must read
	// up to the limit before they can fail with its error.
	heavyTimeout = 4 * time.Second
	slack        = time.Second // a poll ends within its timeout plus this
	maxErrText   = 512
)

// heavy serialises the cases that move megabytes (Oversized, Endless): a
// heavy case holds it alone, so the heap growth it measures is its own;
// the light cases share it and run in parallel.
var heavy sync.RWMutex

func newSource(t testing.TB, k faulttest.Kind, addr string, p sources.Policy) sources.Source {
	t.Helper()
	name := string(k)
	switch k {
	case faulttest.HAProxy:
		s := haproxy.New(name, addr)
		s.MaxResponseBytes = p.MaxResponseBytes
		return s
	case faulttest.Envoy:
		return envoy.New(name, addr, p.HTTPClient(nil))
	case faulttest.NGINXPlus, faulttest.NGINXStub:
		return nginx.New(name, addr, p.HTTPClient(nil))
	case faulttest.Prometheus:
		s, err := prometheus.New(name, addr, p.HTTPClient(nil), prometheus.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Fatalf("unknown kind %q", k)
	return nil
}

func startStandin(t testing.TB, k faulttest.Kind, f faulttest.Fault) *faulttest.Server {
	t.Helper()
	srv, err := faulttest.Start(k, f, faulttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// pollResult is one measured poll.
type pollResult struct {
	snap    model.Snapshot
	took    time.Duration
	growth  uint64 // peak heap in use during the poll, above the level before it
	errText string // the error as the Store keeps it, after model.SafeError
}

// measuredPoll polls src once under timeout, sampling the heap while it
// runs, and passes the snapshot through a Store the way the Hub's
// consumer does.
func measuredPoll(t *testing.T, src sources.Source, timeout time.Duration) pollResult {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	peak := base
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	snap := sources.PollOnce(t.Context(), sources.Entry{Source: src, Timeout: timeout})
	took := time.Since(start)
	close(stop)
	<-sampled
	res := pollResult{snap: snap, took: took, growth: peak - base}
	fleet := model.NewStore(time.Now).Ingest(snap)
	st, ok := fleet.Source(src.Name())
	if !ok {
		t.Fatalf("the store does not list source %q", src.Name())
	}
	// What the Store keeps, made safe as the screen shows it (SafeError
	// is idempotent on safe text, so this holds whether or not Ingest
	// applies it already).
	res.errText = model.SafeError(st.Err)
	if (snap.Err != nil) == st.OK {
		t.Errorf("store status OK=%v for poll error %v", st.OK, snap.Err)
	}
	return res
}

// checkPolicy holds one poll to the reading policy.
func checkPolicy(t *testing.T, r pollResult, timeout time.Duration, limit int64) {
	t.Helper()
	if r.took > timeout+slack {
		t.Errorf("poll took %v, want at most %v (timeout %v + %v)", r.took, timeout+slack, timeout, slack)
	}
	if r.growth > uint64(2*limit) {
		t.Errorf("heap grew %s during the poll, want under 2× the %s limit", sources.FormatBytes(int64(r.growth)), sources.FormatBytes(limit))
	}
	if len(r.errText) > maxErrText {
		t.Errorf("error text is %d bytes, want at most %d", len(r.errText), maxErrText)
	}
	if i := strings.IndexFunc(r.errText, unsafeRune); i >= 0 {
		t.Errorf("error text carries control character %U at byte %d: %q", []rune(r.errText[i:])[0], i, r.errText)
	}
}

// unsafeRune is what must never reach a terminal raw: C0, DEL, C1 and the
// bidirectional controls.
func unsafeRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

// outcome is a short line for the matrix table in the log.
func (r pollResult) outcome() string {
	if r.snap.Err == nil {
		return fmt.Sprintf("ok: %d pools, %d metrics", len(r.snap.Pools), len(r.snap.Metrics))
	}
	return "error: " + r.errText
}

// mustFail lists the faults no source may read as good data, with words
// the error must hold ("" for any error).
var mustFail = map[faulttest.Fault]string{
	faulttest.Refused:    "",
	faulttest.Hang:       "",
	faulttest.Slow:       "",
	faulttest.Garbage:    "",
	faulttest.HTML:       "",
	faulttest.Truncated:  "",
	faulttest.ErrEscapes: "",
	faulttest.Oversized:  "larger than",
	faulttest.Endless:    "",
	faulttest.LongError:  "",
	faulttest.Status401:  "",
	faulttest.Status403:  "",
	faulttest.Status404:  "",
	faulttest.Status500:  "",
	faulttest.Redirect:   "redirected to http://127.0.0.2:",
	faulttest.SameHost:   "set follow_redirects: true for this source to allow same-host redirects",
}

func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	for _, k := range faulttest.Kinds() {
		for _, f := range faulttest.Faults() {
			if !faulttest.Applies(k, f) {
				continue
			}
			t.Run(string(k)+"/"+string(f), func(t *testing.T) {
				t.Parallel()
				if f == faulttest.Oversized || f == faulttest.Endless || f == faulttest.LongError {
					heavy.Lock()
					defer heavy.Unlock()
				} else {
					heavy.RLock()
					defer heavy.RUnlock()
				}
				srv := startStandin(t, k, f)
				src := newSource(t, k, srv.Addr(), sources.Policy{MaxResponseBytes: testLimit})
				if f == faulttest.Flapping {
					checkFlapping(t, srv, src)
					return
				}
				timeout := pollTimeout
				if f == faulttest.Oversized {
					// Reading up to the limit must finish before the
					// deadline for the limit's error to show; under -race
					// on a loaded machine 1 s was not always enough.
					timeout = heavyTimeout
				}
				r := measuredPoll(t, src, timeout)
				t.Logf("outcome: %s", r.outcome())
				checkPolicy(t, r, timeout, testLimit)
				want, fails := mustFail[f]
				switch {
				case fails && r.snap.Err == nil:
					t.Errorf("poll succeeded with %d pools, want an error", len(r.snap.Pools))
				case fails && !strings.Contains(r.errText, want):
					t.Errorf("error %q does not say %q", r.errText, want)
				}
			})
		}
	}
}

// checkFlapping polls a source that answers, then cuts connections, then
// answers again: the middle poll fails and the last one recovers.
func checkFlapping(t *testing.T, srv *faulttest.Server, src sources.Source) {
	t.Helper()
	for i, down := range []bool{false, true, false} {
		srv.SetDown(down)
		r := measuredPoll(t, src, pollTimeout)
		t.Logf("poll %d (down=%v) outcome: %s", i, down, r.outcome())
		checkPolicy(t, r, pollTimeout, testLimit)
		if (r.snap.Err != nil) != down {
			t.Errorf("poll %d with the stand-in down=%v: error %v", i, down, r.snap.Err)
		}
	}
}

// TestGoodStandins: each stand-in's good reply reads without error, so
// the faults above fail for their fault, not for a broken baseline.
func TestGoodStandins(t *testing.T) {
	t.Parallel()
	for _, k := range faulttest.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			heavy.RLock()
			defer heavy.RUnlock()
			srv := startStandin(t, k, faulttest.Good)
			r := measuredPoll(t, newSource(t, k, srv.Addr(), sources.Policy{}), pollTimeout)
			checkPolicy(t, r, pollTimeout, sources.DefaultMaxResponseBytes)
			if r.snap.Err != nil {
				t.Fatalf("good stand-in: %v", r.snap.Err)
			}
			if k != faulttest.Prometheus && len(r.snap.Pools)+len(r.snap.Metrics) == 0 {
				t.Errorf("good stand-in gave no pools and no metrics")
			}
		})
	}
}

// TestOversizedDefaultLimit: with no limit configured, a 200 MB reply
// stops at 64 MiB (or the deadline) and the heap stays under 128 MiB.
func TestOversizedDefaultLimit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("moves 64 MiB per kind")
	}
	const timeout = 3 * time.Second
	for _, k := range faulttest.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			heavy.Lock()
			defer heavy.Unlock()
			srv := startStandin(t, k, faulttest.Oversized)
			r := measuredPoll(t, newSource(t, k, srv.Addr(), sources.Policy{}), timeout)
			t.Logf("outcome in %v, heap +%s: %s", r.took.Round(time.Millisecond), sources.FormatBytes(int64(r.growth)), r.outcome())
			checkPolicy(t, r, timeout, sources.DefaultMaxResponseBytes)
			if r.snap.Err == nil {
				t.Fatal("a 200 MB reply was accepted")
			}
		})
	}
}

// TestSameHostRedirectFollowed: follow_redirects: true follows a redirect
// to the same host, and still refuses one to another host.
func TestSameHostRedirectFollowed(t *testing.T) {
	t.Parallel()
	for _, k := range faulttest.Kinds() {
		if !faulttest.Applies(k, faulttest.SameHost) {
			continue
		}
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			heavy.RLock()
			defer heavy.RUnlock()
			follow := sources.Policy{FollowRedirects: true}
			same := startStandin(t, k, faulttest.SameHost)
			if r := measuredPoll(t, newSource(t, k, same.Addr(), follow), pollTimeout); r.snap.Err != nil {
				t.Errorf("same-host redirect with follow_redirects: %v", r.snap.Err)
			}
			other := startStandin(t, k, faulttest.Redirect)
			r := measuredPoll(t, newSource(t, k, other.Addr(), follow), pollTimeout)
			if r.snap.Err == nil || !strings.Contains(r.errText, "another host") {
				t.Errorf("cross-host redirect with follow_redirects: error %q, want a refusal naming another host", r.errText)
			}
		})
	}
}

// TestHubHealthySourceKeepsUpdating: one Hub polls a healthy source next
// to stand-ins that hang, trickle, stream without end, send too much or
// refuse, of every kind. The healthy source keeps its cadence, a flapping
// source's recovery is seen within two intervals, and the Hub stops when
// asked.
func TestHubHealthySourceKeepsUpdating(t *testing.T) {
	t.Parallel()
	heavy.Lock()
	defer heavy.Unlock()
	const interval = 100 * time.Millisecond
	entry := func(src sources.Source) sources.Entry {
		return sources.Entry{Source: src, Interval: interval, Timeout: pollTimeout}
	}
	good := startStandin(t, faulttest.Envoy, faulttest.Good)
	flap := startStandin(t, faulttest.NGINXPlus, faulttest.Flapping)
	flap.SetDown(true)
	// The healthy source gets a generous timeout: on a loaded machine a
	// 1 s poll of a small reply can be starved of CPU, which says nothing
	// about the Hub. What must hold is that it keeps being polled.
	healthy := entry(envoy.New("healthy", good.Addr(), nil))
	healthy.Timeout = 5 * time.Second
	entries := []sources.Entry{
		healthy,
		entry(newSource(t, faulttest.NGINXPlus, flap.Addr(), sources.Policy{})),
	}
	for _, k := range faulttest.Kinds() {
		for _, f := range []faulttest.Fault{faulttest.Hang, faulttest.Slow, faulttest.Endless, faulttest.Oversized, faulttest.Refused} {
			src := newSource(t, k, startStandin(t, k, f).Addr(), sources.Policy{MaxResponseBytes: testLimit})
			// Polled less often than the healthy source: the stand-ins
			// run in this process, and ten of them pumping megabytes
			// every 100 ms would starve the test of CPU, not the Hub.
			e := entry(renamed{src, string(k) + "/" + string(f)})
			e.Interval = 5 * interval
			entries = append(entries, e)
		}
	}
	hub, err := sources.NewHub(entries)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	snaps := hub.Run(ctx)

	const watch = 2500 * time.Millisecond
	start := time.Now()
	var goodAt []time.Time
	var upAt, recovered time.Time
	for time.Since(start) < watch || recovered.IsZero() && time.Since(start) < watch+2*time.Second {
		var s model.Snapshot
		select {
		case s = <-snaps:
		case <-time.After(watch):
			t.Fatal("no snapshot at all for a whole watch period")
		}
		switch s.Source {
		case "healthy":
			if s.Err != nil {
				t.Errorf("healthy source failed: %v", s.Err)
			}
			goodAt = append(goodAt, s.At)
		case "nginx-plus":
			if upAt.IsZero() && time.Since(start) > watch/2 {
				flap.SetDown(false)
				upAt = time.Now()
			}
			if !upAt.IsZero() && recovered.IsZero() && s.Err == nil {
				recovered = s.At
			}
		}
	}
	cancel()
	stopped := time.Now()
	for range snaps { // the channel closes once every poll has returned
	}
	if d := time.Since(stopped); d > pollTimeout+slack {
		t.Errorf("the hub took %v to stop, want at most %v", d, pollTimeout+slack)
	}
	if len(goodAt) < int(watch/interval)/3 {
		t.Errorf("healthy source polled %d times in %v at a %v interval next to %d bad sources", len(goodAt), watch, interval, len(entries)-2)
	}
	var gap time.Duration
	for i := 1; i < len(goodAt); i++ {
		gap = max(gap, goodAt[i].Sub(goodAt[i-1]))
	}
	t.Logf("healthy source: %d snapshots, longest gap %v", len(goodAt), gap)
	if recovered.IsZero() {
		t.Fatal("the flapping source never recovered")
	}
	// Back-off is capped at 2× the interval: recovery shows within that
	// (plus jitter and one poll).
	if d := recovered.Sub(upAt); d > 2*interval+interval/5+pollTimeout {
		t.Errorf("recovery seen %v after the source came back, want within about two intervals", d)
	}
}

// renamed gives a source another name, so one Hub can hold many of a kind.
type renamed struct {
	sources.Source
	name string
}

func (r renamed) Name() string { return r.name }
