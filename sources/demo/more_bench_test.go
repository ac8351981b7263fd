package demo

import (
	"bytes"
	"encoding/json"
	"testing"
)

// BenchmarkStart is what `lbtop --demo` waits for before its first poll:
// building every system, the warm-up steps and four listeners.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		f, err := Start(b.Context(), Options{Seed: 1, Tick: -1})
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNGINXUpstreamsJSON renders GET /api/9/http/upstreams.
func BenchmarkNGINXUpstreamsJSON(b *testing.B) {
	benchRender(b, func(f *Fleet, buf *bytes.Buffer) error {
		out := map[string]ngxUpstreamJSON{}
		for _, u := range f.more.ngx.ups {
			if !u.spec.stream {
				out[u.spec.name] = u.status(f.sim)
			}
		}
		return json.NewEncoder(buf).Encode(out)
	})
}

// BenchmarkPrometheusPresets answers the HAProxy preset's heaviest
// query, the state series filtered to the current one.
func BenchmarkPrometheusPresets(b *testing.B) {
	f := benchFleet(b)
	for b.Loop() {
		f.sim.mu.Lock()
		res := f.more.prom.eval(`max by (instance, proxy, server, state) (haproxy_server_status) == 1`)
		f.sim.mu.Unlock()
		if len(res) == 0 {
			b.Fatal("no result")
		}
	}
}
