package prometheus

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pmodel "github.com/prometheus/common/model"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/model/modeltest"
)

// FuzzPrometheusMap feeds an arbitrary instant-query vector (JSON, as the
// API's "result", plus two samples built from fuzzed labels and values)
// to every preset and a user mapping, each query getting the same
// samples, then through the Store. Whatever the labels and
// values (NaN, ±Inf, 1e308, negative), nothing panics, every text shown
// is terminal-safe and every figure is in range. Longer runs:
// go test -fuzz=FuzzPrometheusMap -fuzztime=60s ./sources/prometheus
func FuzzPrometheusMap(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "prometheus", "api-v1-query-vector-from-api.md.json"))
	if err != nil {
		f.Fatal(err)
	}
	var env struct {
		Data struct {
			Result json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(env.Data.Result), "web", "w1", "lb1:8404", "UP", 3.0, 12.0)
	f.Add([]byte(`[{"metric":{"instance":"i:1","proxy":"web","server":"w1","state":"UP","upstream":"web","envoy_cluster_name":"c"},"value":[1,"1e308"]},
		{"metric":{"instance":"i:1","proxy":"web","server":"w2","state":"DOWN","upstream":"web","envoy_cluster_name":"c"},"value":[1,"-5"]}]`), "web", "w1", "i", "DOWN", 1e308, -1.0)
	f.Add([]byte(`[{"metric":{"instance":"\u001b]2;x\u0007","proxy":"p\u202e","server":"\u009b2J","state":"MAINT","upstream":"\u001b[5m","envoy_cluster_name":"\u001b[2J"},"value":[1,"NaN"]},
		{"metric":{"proxy":"p","server":"s","upstream":"u","envoy_cluster_name":"c"},"value":[1,"+Inf"]},
		{"metric":{"proxy":"p","server":"s","upstream":"u","envoy_cluster_name":"c"},"value":[1,"-Inf"]}]`), "p\x1b]2;x\x07", "\u202e", "\x9b", "MAINT", math.NaN(), math.Inf(-1))
	specs := []spec{}
	for _, name := range PresetNames() {
		sp, ok := presetSpec(name, "1m")
		if !ok {
			f.Fatalf("no preset %q", name)
		}
		specs = append(specs, sp)
	}
	m := Mapping{Name: "m", PoolLabel: "proxy", BackendLabel: "server", Health: "x", Weight: "w", Active: "a"}
	specs = append(specs, m.spec())
	f.Fuzz(func(t *testing.T, result []byte, pool, server, instance, state string, v1, v2 float64) {
		var vec pmodel.Vector
		_ = json.Unmarshal(result, &vec) // not a vector: the samples below only
		for i, v := range []float64{v1, v2} {
			m := pmodel.Metric{"instance": pmodel.LabelValue(instance), "state": pmodel.LabelValue(state)}
			for _, l := range []pmodel.LabelName{"proxy", "upstream", "envoy_cluster_name"} {
				m[l] = pmodel.LabelValue(pool)
			}
			m["server"] = pmodel.LabelValue(server + strings.Repeat("'", i))
			vec = append(vec, &pmodel.Sample{Metric: m, Value: pmodel.SampleValue(v)})
		}
		for _, sp := range specs {
			vecs := make([]pmodel.Vector, len(sp.queries))
			for i := range vecs {
				vecs[i] = vec
			}
			pools := buildPools([]spec{sp}, [][]pmodel.Vector{vecs})
			st := model.NewStore(func() time.Time { return time.Unix(0, 0) })
			fl := st.Ingest(model.Snapshot{Source: "p", Kind: model.KindPrometheus, Pools: pools, At: time.Unix(1, 0)})
			if p := modeltest.Problems(fl, model.Range{Min: 0, Max: math.MaxInt32}); len(p) > 0 {
				t.Fatalf("%s: %s: %v", sp.name, result, p)
			}
		}
	})
}
