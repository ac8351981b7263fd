package model

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// fresh returns a copy of s in its own memory, as a parser makes it.
func fresh(s string) string { return strings.Clone(s) }

func freshPool(name string, bs ...Backend) Pool {
	for i := range bs {
		bs[i].Name, bs[i].Address, bs[i].Reason = fresh(bs[i].Name), fresh(bs[i].Address), fresh(bs[i].Reason)
	}
	return Pool{Name: fresh(name), Backends: bs}
}

// TestRatesFollowBackendsThatMove: rates are matched by pool, name and
// address, whatever the position; a backend or pool that is new has none.
func TestRatesFollowBackendsThatMove(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	s.Ingest(snap("lb1", t0, freshPool("web", be("a", Healthy, 100, 0), be("b", Healthy, 1000, 10))))
	f := s.Ingest(snap("lb1", t0.Add(2*time.Second),
		freshPool("api", be("a", Healthy, 500, 0)),
		freshPool("web", be("c", Healthy, 7, 0), be("b", Healthy, 1040, 14), be("a", Healthy, 120, 0))))
	rates := map[string]string{}
	for _, p := range f.Pools {
		for _, b := range p.Backends {
			r := "none"
			if b.HasRates {
				r = ftoa(b.ReqRate) + "/" + ftoa(b.ErrRate)
			}
			rates[p.Name+"/"+b.Name] = r
		}
	}
	want := map[string]string{"api/a": "none", "web/a": "10/0", "web/b": "20/2", "web/c": "none"}
	for k, v := range want {
		if rates[k] != v {
			t.Errorf("%s: rates %s, want %s (all: %v)", k, rates[k], v, rates)
		}
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TestIngestSharesUnchangedText: a poll repeating the last one's names,
// addresses and reasons in fresh memory is stored with the old copies, so
// the parser's strings are not kept alive twice.
func TestIngestSharesUnchangedText(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	down := be("b", Unhealthy, 5, 0)
	down.Reason = "DOWN: L4CON"
	down.Facts = &BackendFacts{CheckStatus: "L4CON", CheckFails: 3}
	first := s.Ingest(snap("lb1", t0, freshPool("web", be("a", Healthy, 1, 0), down)))
	down2 := down
	down2.Facts = &BackendFacts{CheckStatus: "L4CON", CheckFails: 3}
	next := s.Ingest(snap("lb1", t0.Add(2*time.Second), freshPool("web", be("a", Healthy, 2, 0), down2)))
	p0, p1 := first.Pool("haproxy/web"), next.Pool("haproxy/web")
	if unsafe.StringData(p0.Name) != unsafe.StringData(p1.Name) {
		t.Error("pool name not shared with the previous poll")
	}
	for i := range p1.Backends {
		a, b := &p0.Backends[i], &p1.Backends[i]
		if unsafe.StringData(a.Name) != unsafe.StringData(b.Name) || unsafe.StringData(a.Address) != unsafe.StringData(b.Address) || unsafe.StringData(a.Reason) != unsafe.StringData(b.Reason) || a.Facts != b.Facts {
			t.Errorf("backend %s: text or facts not shared with the previous poll", b.Name)
		}
	}
	changed := down
	changed.Reason = "DOWN: L4TOUT"
	last := s.Ingest(snap("lb1", t0.Add(4*time.Second), freshPool("web", be("a", Healthy, 3, 0), changed)))
	if b := last.Pool("haproxy/web").Backends[0]; b.Reason != "DOWN: L4TOUT" {
		t.Errorf("a changed reason must be the new one, got %q", b.Reason)
	}
}

// TestOneCopyOfBackends: once a fleet is built, the store keeps no copy
// of a poll's backends besides the fleet's rows; the next poll's rates
// come from those rows, for a pool one source reports twice (two
// exporters with the same servers) as for the others, and a fleet built
// from the rows alone (another source polled, a hook changed) is the
// same.
func TestOneCopyOfBackends(t *testing.T) {
	t.Parallel()
	now := t0
	s := NewStore(func() time.Time { return now })
	poll := func(src string, pools ...Pool) *Fleet {
		return s.Ingest(snap(src, now, pools...))
	}
	twice := func(reqs uint64) []Pool {
		a, b := be("s1", Healthy, reqs, 0), be("s1", Healthy, 2*reqs, 0)
		a.Instance, b.Instance = "exp-a", "exp-b"
		return []Pool{freshPool("web", a), freshPool("web", b), freshPool("api", be("s2", Unhealthy, 3*reqs, reqs))}
	}
	poll("lb1", twice(100)...)
	poll("lb2", freshPool("db", be("d1", Healthy, 5, 0)))
	now = now.Add(2 * time.Second)
	f := poll("lb1", twice(300)...)
	for name, st := range s.sources {
		for _, p := range st.pools {
			if p.Backends != nil {
				t.Fatalf("source %s pool %s: the store kept its own copy of the backends", name, p.Name)
			}
		}
	}
	got := map[string]float64{}
	for _, p := range f.Pools {
		if p.Name == "db" {
			continue // polled once
		}
		for _, b := range p.Backends {
			if !b.HasRates {
				t.Errorf("%s/%s@%s: no rate", p.Name, b.Name, b.Instance)
			}
			got[p.Name+"/"+b.Name+"@"+b.Instance] = b.ReqRate
		}
	}
	want := map[string]float64{"web/s1@exp-a": 100, "web/s1@exp-b": 200, "api/s2@": 300}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %v req/s, want %v (all: %v)", k, got[k], v, got)
		}
	}
	now = now.Add(time.Second)
	g := poll("lb2", freshPool("db", be("d1", Healthy, 9, 0)))
	s.SetAdminNotes(nil)
	full := s.Fleet()
	for _, pair := range [][2]*Fleet{{f, g}, {g, full}} {
		for _, key := range []string{"haproxy/web", "haproxy/api"} {
			a, b := pair[0].Pool(key), pair[1].Pool(key)
			a.Diagnosis, b.Diagnosis = Diagnosis{}, Diagnosis{}
			if !reflect.DeepEqual(*a, *b) {
				t.Errorf("%s rebuilt from the fleet's rows differs:\n%+v\n%+v", key, *a, *b)
			}
		}
	}
	now = now.Add(2 * time.Second)
	f = poll("lb1", twice(500)...)
	for _, b := range f.Pool("haproxy/web").Backends {
		want := map[string]float64{"exp-a": 200.0 / 3, "exp-b": 400.0 / 3}[b.Instance]
		if b.ReqRate != want {
			t.Errorf("web/s1@%s after a fleet built from rows: %v req/s, want %v", b.Instance, b.ReqRate, want)
		}
	}
}

// TestRatesFollowBackendsInLargePools: backends of a pool too large to
// scan (smallPool) that change places, next to a small one, keep their
// rates.
func TestRatesFollowBackendsInLargePools(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	pools := func(reqs func(i int) uint64, reverse bool) []Pool {
		var big, small []Backend
		for i := range smallPool + 8 {
			big = append(big, be("b"+strconv.Itoa(i), Healthy, reqs(i), 0))
		}
		for i := range 3 {
			small = append(small, be("s"+strconv.Itoa(i), Healthy, reqs(i), 0))
		}
		if reverse {
			slices.Reverse(big)
			slices.Reverse(small)
		}
		return []Pool{freshPool("big", big...), freshPool("small", small...)}
	}
	s.Ingest(snap("lb1", t0, pools(func(int) uint64 { return 0 }, false)...))
	f := s.Ingest(snap("lb1", t0.Add(2*time.Second), pools(func(i int) uint64 { return uint64(2 * i) }, true)...))
	for _, p := range f.Pools {
		for _, b := range p.Backends {
			i, _ := strconv.Atoi(b.Name[1:])
			if !b.HasRates || b.ReqRate != float64(i) {
				t.Errorf("%s/%s: %v req/s (rates %v), want %d", p.Name, b.Name, b.ReqRate, b.HasRates, i)
			}
		}
	}
}
