package demo

import (
	"bytes"
	"strings"
	"testing"
)

// render captures both systems' full output with the simulation locked.
func render(f *Fleet) string {
	var b bytes.Buffer
	f.sim.mu.Lock()
	defer f.sim.mu.Unlock()
	f.sim.ha.writeStat(&b, f.sim.now(), allStats())
	if err := f.sim.env.writeClustersJSON(&b, f.sim.n); err != nil {
		return err.Error()
	}
	return b.String()
}

// assertDeterministic steps fleets seeded 42, 42 and 43 for 60 steps
// and compares their digests every `every` steps: the two seeded 42 must
// agree and the one seeded 43 must not.
func assertDeterministic(t *testing.T, every int, digest func(*Fleet) string) {
	t.Helper()
	a, b, c := startFleet(t, 42), startFleet(t, 42), startFleet(t, 43)
	for step := range 60 {
		if step%every == 0 {
			da := digest(a)
			if da != digest(b) {
				t.Fatalf("step %d: two fleets with seed 42 differ", step)
			}
			if da == digest(c) {
				t.Fatalf("step %d: seeds 42 and 43 give the same fleet", step)
			}
		}
		a.Step()
		b.Step()
		c.Step()
	}
}

// walk calls look with the simulation locked, then steps, n times.
func walk(f *Fleet, n int, look func()) {
	for range n {
		f.sim.mu.Lock()
		look()
		f.sim.mu.Unlock()
		f.Step()
	}
}

func TestDeterministicForSeed(t *testing.T) {
	t.Parallel()
	assertDeterministic(t, 6, render)
}

// TestStatesChangeOverSteps walks the simulation and collects what
// `show stat` would print for each server; it reads the state directly
// because rendering and parsing 150 full outputs would only slow the test.
func TestStatesChangeOverSteps(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 9)
	statuses := map[string]bool{}
	checks := map[string]bool{}
	walk(f, 150, func() {
		for _, be := range f.sim.ha.backends {
			for _, sv := range be.servers {
				st := sv.status()
				if i := strings.IndexByte(st, ' '); i > 0 && st != "no check" {
					st = st[:i] + " n/m"
				}
				statuses[st] = true
				if sv.check != checkNone && sv.admin != adminMaint {
					checks[sv.res.status+" "+sv.res.code] = true
				}
			}
		}
	})
	for _, want := range []string{"UP", "UP n/m", "DOWN", "DOWN n/m", "MAINT", "DRAIN", "no check"} {
		if !statuses[want] {
			t.Errorf("status %q never seen in 150 steps; seen %v", want, statuses)
		}
	}
	for _, want := range []string{"L4CON ", "L4TOUT ", "L7STS 503", "L7STS 500", "L6RSP ", "L7OK 200", "L4OK "} {
		if !checks[want] {
			t.Errorf("check %q never seen in 150 steps; seen %v", want, checks)
		}
	}
}

// TestPoolsWithNoHealthy checks that each system regularly has a pool with
// no serving backend, and that it recovers. It samples the wire output
// every tenth step and the state in between.
func TestPoolsWithNoHealthy(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 11)
	var haDown, haUp, envDown, envUp int
	wireHADown, wireEnvDown := false, false
	for step := range 120 {
		f.sim.mu.Lock()
		n := f.sim.n
		if f.sim.ha.backend("legacy-soap").up {
			haUp++
		} else {
			haDown++
		}
		healthy := 0
		for _, h := range f.sim.env.cluster("recommendations").hosts {
			if h.routable(n) {
				healthy++
			}
		}
		f.sim.mu.Unlock()
		if healthy == 0 {
			envDown++
		} else {
			envUp++
		}
		if step%10 == 0 {
			r := find(t, showStat(t, f.HAProxyAddr()), "legacy-soap", "BACKEND")
			wireHADown = wireHADown || r["status"] == "DOWN" && r["act"] == "0"
			for _, c := range getClusters(t, f).ClusterStatuses {
				if c.Name != "recommendations" {
					continue
				}
				none := true
				for _, h := range c.HostStatuses {
					none = none && !envHealthy(h.HealthStatus)
				}
				wireEnvDown = wireEnvDown || none
			}
		}
		f.Step()
	}
	if haDown == 0 || haUp == 0 || envDown == 0 || envUp == 0 {
		t.Errorf("steps with zero/some healthy: HAProxy legacy-soap %d/%d, Envoy recommendations %d/%d; want both non-zero", haDown, haUp, envDown, envUp)
	}
	if !wireHADown || !wireEnvDown {
		t.Errorf("zero healthy never seen on the wire: HAProxy %t, Envoy %t", wireHADown, wireEnvDown)
	}
}

func TestCountersGrowAndSickServe5xx(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	before := find(t, showStat(t, f.HAProxyAddr()), "search", "BACKEND")
	f.sim.mu.Lock()
	sick := f.sim.ha.backend("cart").servers[0]
	sick.fault = fault{kind: fault500, left: 100}
	healthy := f.sim.ha.backend("cart").servers[1]
	healthy.steady = true
	f.sim.mu.Unlock()
	f.Step()
	after := find(t, showStat(t, f.HAProxyAddr()), "search", "BACKEND")
	for _, col := range []string{"stot", "req_tot", "hrsp_2xx", "bin", "bout"} {
		if atoi(t, after[col]) <= atoi(t, before[col]) {
			t.Errorf("search BACKEND %s did not grow: %s -> %s", col, before[col], after[col])
		}
	}
	f.sim.mu.Lock()
	defer f.sim.mu.Unlock()
	sickRatio := float64(sick.c.errors) / float64(sick.c.requests)
	okRatio := float64(healthy.c.errors) / float64(healthy.c.requests)
	if sickRatio <= okRatio {
		t.Errorf("5xx ratio: sick %.4f, healthy %.4f", sickRatio, okRatio)
	}
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("%q is not a number", s)
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
