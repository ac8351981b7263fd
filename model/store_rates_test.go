package model

import (
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
