package prometheus

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fleetText renders PROMEX-shaped exposition text for pools × servers on
// one exporter; n grows per scrape so counters have rates.
func fleetText(pools, servers int, n int64) string {
	var b strings.Builder
	states := []string{"DOWN", "UP", "MAINT", "DRAIN", "NOLB"}
	each := func(family string, line func(lbl string, p, s int)) {
		fmt.Fprintf(&b, "# TYPE %s\n", family)
		for p := range pools {
			for s := range servers {
				line(fmt.Sprintf(`proxy="backend-%04d",server="srv-%02d"`, p, s), p, s)
			}
		}
	}
	each("haproxy_server_status gauge", func(lbl string, p, s int) {
		cur := 1
		if (p+s)%7 == 0 {
			cur = 0
		}
		for i, st := range states {
			v := 0
			if i == cur {
				v = 1
			}
			fmt.Fprintf(&b, "haproxy_server_status{%s,state=%q} %d\n", lbl, st, v)
		}
	})
	each("haproxy_server_check_status gauge", func(lbl string, p, s int) {
		ok := 1
		if (p+s)%7 == 0 {
			ok = 0
		}
		fmt.Fprintf(&b, "haproxy_server_check_status{%s,state=\"L7OK\"} %d\nhaproxy_server_check_status{%s,state=\"L7STS\"} %d\n", lbl, ok, lbl, 1-ok)
	})
	each("haproxy_server_weight gauge", func(lbl string, p, s int) { fmt.Fprintf(&b, "haproxy_server_weight{%s} %d\n", lbl, 1+s%3) })
	each("haproxy_server_current_sessions gauge", func(lbl string, p, s int) { fmt.Fprintf(&b, "haproxy_server_current_sessions{%s} %d\n", lbl, s) })
	each("haproxy_server_sessions_total counter", func(lbl string, p, s int) {
		fmt.Fprintf(&b, "haproxy_server_sessions_total{%s} %d\n", lbl, n*int64(10+s))
	})
	each("haproxy_server_http_responses_total counter", func(lbl string, p, s int) {
		fmt.Fprintf(&b, "haproxy_server_http_responses_total{%s,code=\"5xx\"} %d\n", lbl, n*int64(s%2))
	})
	return b.String()
}

// BenchmarkLiveRefresh measures one poll of the HAProxy preset against a
// real Prometheus holding 1,000 pools × 10 servers (110,000 series from a
// PROMEX-shaped exporter): seven queries, answers decoded and joined.
func BenchmarkLiveRefresh(b *testing.B) {
	const pools, servers = 1000, 10
	prom := startPrometheus(b, 5*time.Second)
	instance := counterServer(b, func(n int64) string { return fleetText(pools, servers, n) })
	prom.addTarget(b, "fleet", instance)
	src, err := New("prom", prom.URL, nil, Options{Presets: []string{PresetHAProxy}, RateWindow: "1m"})
	if err != nil {
		b.Fatal(err)
	}
	poll := func() (int, int) {
		ctx, cancel := context.WithTimeout(b.Context(), 30*time.Second)
		defer cancel()
		snap, err := src.Poll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		nb, rates := 0, 0
		for _, p := range snap.Pools {
			nb += len(p.Backends)
			for _, be := range p.Backends {
				if be.HasRates {
					rates++
				}
			}
		}
		return nb, rates
	}
	waitFor(b, 90*time.Second, func() (bool, string) {
		nb, rates := poll()
		return nb == pools*servers && rates == pools*servers, fmt.Sprintf("%d backends, %d with rates", nb, rates)
	})
	// Where the time goes: each query alone, end to end.
	for _, q := range src.specs[0].queries {
		start := time.Now()
		vec, _, err := src.query(b.Context(), src.newPollClient(), q.expr)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%6d series in %v: %s", len(vec), time.Since(start).Round(time.Millisecond), q.expr)
	}
	for b.Loop() {
		if nb, _ := poll(); nb != pools*servers {
			b.Fatalf("%d backends", nb)
		}
	}
}
