package prometheus

import (
	"math"
	"testing"

	pmodel "github.com/prometheus/common/model"

	"github.com/lbtop/lbtop/model"
)

// Out-of-range figures from an exporter are rejected for that backend,
// never wrapped: 1e308 used to become weight −9223372036854775808.
func TestBuildPoolsRejectsOutOfRangeFigures(t *testing.T) {
	t.Parallel()
	sp := mustPreset(t, PresetHAProxy)
	hp := func(v float64, srv string, extra ...string) *pmodel.Sample {
		return sample(v, append([]string{"instance", "lb1:8404", "proxy", "web", "server", srv}, extra...)...)
	}
	vecs := vectors(sp, map[figure]pmodel.Vector{
		figState:  {hp(1, "huge", "state", "UP"), hp(1, "neg", "state", "UP"), hp(1, "over", "state", "UP"), hp(1, "inf", "state", "DOWN"), hp(1, "ok", "state", "UP")},
		figWeight: {hp(1e308, "huge"), hp(-5, "neg"), hp(257, "over"), hp(math.Inf(1), "inf"), hp(256, "ok")},
		figActive: {hp(1e308, "huge"), hp(-2, "neg"), hp(math.Inf(-1), "inf"), hp(7, "ok")},
	})
	got := buildPools([]spec{sp}, [][]pmodel.Vector{vecs})[0].Backends
	want := map[string]model.Backend{
		"huge": {Health: model.Unknown, Reason: "invalid weight 9223372036854775807 from source; UP", Weight: -1, Active: math.MaxInt64},
		"neg":  {Health: model.Unknown, Reason: "invalid active -2 from source; invalid weight -5 from source; UP", Weight: -1},
		"over": {Health: model.Unknown, Reason: "invalid weight 257 from source; UP", Weight: -1},
		"inf":  {Health: model.Unknown, Reason: "invalid active -9223372036854775808 from source; invalid weight 9223372036854775807 from source; DOWN", Weight: -1},
		"ok":   {Health: model.Healthy, Reason: "UP", Weight: 256, Active: 7},
	}
	for _, b := range got {
		w := want[b.Name]
		if b.Health != w.Health || b.Reason != w.Reason || b.Weight != w.Weight || b.Active != w.Active {
			t.Errorf("%s: got %v %q weight %d active %d, want %v %q %d %d", b.Name, b.Health, b.Reason, b.Weight, b.Active, w.Health, w.Reason, w.Weight, w.Active)
		}
	}

	env := mustPreset(t, PresetEnvoy)
	ev := func(v float64) *pmodel.Sample { return sample(v, "instance", "e:9901", "envoy_cluster_name", "c") }
	vecs = vectors(env, map[figure]pmodel.Vector{
		figMemHealthy: {ev(-1)}, figMemTotal: {ev(1e308)}, figActive: {ev(-3)},
	})
	p := buildPools([]spec{env}, [][]pmodel.Vector{vecs})[0]
	if a := p.Aggregate; a.Healthy != 0 || a.Total != math.MaxInt64 || a.Active != 0 {
		t.Errorf("aggregate %+v", *a)
	}
	if want := "invalid healthy -1 from source; invalid active -3 from source"; p.Note != want {
		t.Errorf("note %q, want %q", p.Note, want)
	}
}
