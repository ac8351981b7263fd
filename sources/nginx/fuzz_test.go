package nginx

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/model/modeltest"
)

// FuzzNginxMap feeds arbitrary bytes as a Plus API upstreams body through
// the parser, plus one upstream built from fuzzed fields, through the
// mapping and the Store. Whatever the bytes, nothing
// panics, every text the Store hands out is terminal-safe, and weights
// and connection counts are within NGINX's documented ranges. The seed
// corpus (recorded payloads and hostile ones) runs in plain `go test`;
// longer runs: go test -fuzz=FuzzNginxMap -fuzztime=60s ./sources/nginx
func FuzzNginxMap(f *testing.F) {
	for _, name := range []string{
		"plus-api9-GET-http-upstreams.json",
		"plus-api9-GET-http-upstreams-all-states-constructed.json",
		"plus-api9-GET-stream-upstreams-constructed.json",
	} {
		b, err := os.ReadFile(filepath.Join(testdata, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "web", "10.0.0.1:80", "up", 1, int64(0))
	}
	f.Add([]byte(`{"a\u001b]2;x\u0007":{"peers":[{"server":"1\u202e\u009b","state":"up","weight":-5,"active":-1}],"zombies":-3}}`), "\x1b]2;x\x07", "\u202e\xc0", "checking", -5, int64(-1))
	f.Add([]byte(`{"u":{"peers":[{"server":"s","state":"\u001b[2J","weight":9223372036854775807,"active":1e3}]}}`), "u", "s", "unhealthy", 1000001, int64(1)<<62)
	f.Add([]byte("{\"u\xff\":{\"peers\":[{\"server\":\"\xc0\",\"downstart\":\"2022-06-28T11:09:21.602Z\",\"state\":\"unavail\"}]}}"), "", "", "", 0, int64(0))
	f.Fuzz(func(t *testing.T, body []byte, name, server, state string, weight int, active int64) {
		ups, _ := parseUpstreams(body) // not JSON: the built upstream only
		ups = append(ups, namedUpstream{Name: name, upstream: upstream{Peers: []peer{
			{Server: server, State: state, Weight: weight, Active: active, HealthChecks: &healthChecks{}},
		}}})
		st := model.NewStore(func() time.Time { return time.Unix(0, 0) })
		pools := append(toPools(ups, false), toPools(ups, true)...)
		fl := st.Ingest(model.Snapshot{Source: "n", Kind: model.KindNGINX, Pools: pools, At: time.Unix(1, 0)})
		if p := modeltest.Problems(fl, model.Range{Min: 0, Max: maxWeight}); len(p) > 0 {
			t.Fatalf("%q: %v", body, p)
		}
	})
}
