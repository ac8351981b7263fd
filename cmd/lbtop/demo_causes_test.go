package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/lbtop/lbtop/config"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/demo"
)

// demoCauses are the diagnoses the demo fleet claims to show (its
// diagnosisScenery in sources/demo, the NGINX peers at max_fails, the
// outage schedules), as the README's cause table says.
var demoCauses = []model.Cause{
	model.CauseRefused, model.CauseTimeout, model.CauseHealthChecks, model.CauseDNS,
	model.CauseOutlier, model.CausePanic, model.CauseOverloaded, model.CauseAdminDown,
	model.CauseZeroWeight, model.CauseNoEndpoints, model.CauseMaxFails, model.CauseWeightSkew,
}

// TestDemoShowsEveryClaimedCause polls the demo fleet through the
// ordinary sources every 2 simulated seconds for 60 s and reads
// `--once -o json`'s diagnosis.cause: every cause the demo claims must
// appear on some pool. It is not parallel: its 31 polls of four sources
// would slow the real-HAProxy action tests beyond their poll deadlines.
func TestDemoShowsEveryClaimedCause(t *testing.T) {
	ctx := t.Context()
	f, err := demo.Start(ctx, demo.Options{Seed: 1, Tick: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	cfg := &config.Config{}
	if err := addDemoSources(cfg, f); err != nil {
		t.Fatal(err)
	}
	entries, cleanup, err := buildEntries(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	hub, err := sources.NewHub(entries)
	if err != nil {
		t.Fatal(err)
	}
	store := newStore(entries)
	store.SetMinRateWindow(0) // simulated seconds pass in real milliseconds here
	seen := map[model.Cause][]string{}
	for step := 0; step <= 60; step += 2 {
		var fleet *model.Fleet
		for _, snap := range hub.PollAll(ctx) {
			if snap.Err != nil {
				t.Fatalf("poll %s: %v", snap.Source, snap.Err)
			}
			fleet = store.Ingest(snap)
		}
		var out bytes.Buffer
		if err := writeJSON(&out, fleet); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Pools []struct {
				Kind      string `json:"kind"`
				Name      string `json:"name"`
				Diagnosis struct {
					Cause model.Cause `json:"cause"`
				} `json:"diagnosis"`
			} `json:"pools"`
		}
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		for _, p := range doc.Pools {
			c := p.Diagnosis.Cause
			if key := p.Kind + "/" + p.Name; !slices.Contains(seen[c], key) {
				seen[c] = append(seen[c], key)
			}
		}
		f.Step()
		f.Step()
	}
	for _, c := range demoCauses {
		if len(seen[c]) == 0 {
			var got []string
			for c, pools := range seen {
				got = append(got, string(c)+"="+strings.Join(pools, ","))
			}
			slices.Sort(got)
			t.Errorf("cause %s never appeared in 60 simulated seconds; seen: %s", c, strings.Join(got, " "))
		}
	}
}
