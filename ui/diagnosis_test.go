package ui

import (
	"maps"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
)

// fixtureDiagnoses are hand-made verdicts for the fixture's pools, in the
// shape the diagnose function returns. They keep the fixture's order:
// two pools down, two degraded, two ok.
var fixtureDiagnoses = map[string]model.Diagnosis{
	"checkout": {State: model.DiagDown, Cause: model.CauseHealthChecks, Short: "checks fail",
		Summary:  "no member of checkout passes its health check",
		Evidence: []string{"envoy-3:9901: membership_healthy 0 of membership_total 4", "3.5 5xx/s answered by Envoy itself"}},
	"api": {State: model.DiagDown, Cause: model.CauseMixed, Short: "refused, maint",
		Summary:  "no backend serves: 1 refuses connections, 1 is in maintenance",
		Evidence: []string{"api-1 (lb1): L4CON Connection refused", "api-2 (lb1): MAINT"}},
	"payments": {State: model.DiagDegraded, Cause: model.CauseOutlier, Short: "outlier",
		Summary:  "1 of 2 hosts ejected by outlier detection",
		Evidence: []string{"10.1.0.2:443 (edge): /failed_outlier_check", "edge: data 20s old (connection refused)"}},
	"web": {State: model.DiagDegraded, Cause: model.CauseHealthChecks, Short: "L7STS 503",
		Summary: "1 of 3 backends fails its health check with HTTP 503",
		Evidence: []string{"web-3 (lb1): L7STS 503", "6.0 of 135.0 req/s answered 5xx (4%)",
			"web-1, web-2 (lb1): UP", "weight 20 of 30 still serving"}},
	"static": {State: model.DiagOK, Cause: model.CauseOK, Summary: "2 of 2 healthy", Evidence: []string{"2 of 2 healthy"}},
	"cart":   {State: model.DiagOK, Cause: model.CauseOK, Summary: "2 of 2 healthy", Evidence: []string{"2 of 2 healthy"}},
}

// withDiagnoses gives the fixture's pools the diagnoses in ds where the
// store left none (or always, with force), so the screens show the WHY
// column and the diagnosis block whether or not the store diagnoses yet.
func withDiagnoses(f *model.Fleet, ds map[string]model.Diagnosis, force bool) *model.Fleet {
	for i := range f.Pools {
		p := &f.Pools[i]
		if d, ok := ds[p.Name]; ok && (force || p.Diagnosis.Cause == "") {
			p.Diagnosis = d
		}
	}
	return f
}

// diagModel is newModel with the fixture's hand-made diagnoses forced
// over whatever the store computed: these tests are about how the UI
// shows a diagnosis, not about the diagnosis.
func diagModel(t *testing.T, w, h int) (Model, *fixture) {
	t.Helper()
	m, f := newModel(t, envoyActor(), Options{}, w, h)
	m = update(t, m, FleetMsg{Fleet: withDiagnoses(f.poll(model.Healthy, "UP", 10), fixtureDiagnoses, true)})
	return m, f
}

// poolLine returns the frame line showing the named pool.
func poolLine(t *testing.T, frame, name string) string {
	t.Helper()
	for _, l := range strings.Split(frame, "\n") {
		if strings.Contains(l, " "+name+" ") {
			return l
		}
	}
	t.Fatalf("pool %q not on screen:\n%s", name, frame)
	return ""
}

// TestWhyColumn: the WHY cell shows the short cause, the cause code when
// there is no short form, and nothing for ok or a pool not diagnosed; it
// stays at 80 columns.
func TestWhyColumn(t *testing.T) {
	t.Parallel()
	m, f := diagModel(t, 80, 24)
	frame := view(m)
	if !strings.Contains(strings.Split(frame, "\n")[3], "WHY") { // title, stale banner, card, header
		t.Fatalf("no WHY column at 80 columns:\n%s", frame)
	}
	for name, want := range map[string]string{"api": "refused, maint", "web": "L7STS 503", "payments": "outlier"} {
		if l := poolLine(t, frame, name); !strings.Contains(l, want) {
			t.Errorf("%s row lacks %q: %q", name, want, l)
		}
	}
	ds := map[string]model.Diagnosis{"web": {State: model.DiagDegraded, Cause: model.CauseTimeout}, "static": {}}
	m = update(t, m, FleetMsg{Fleet: withDiagnoses(f.poll(model.Healthy, "UP", 10), ds, true)})
	frame = view(m)
	if l := poolLine(t, frame, "web"); !strings.Contains(l, "timeout") {
		t.Errorf("a diagnosis without Short shows its cause code: %q", l)
	}
	if l := poolLine(t, frame, "static"); strings.Contains(l, "ok") || strings.Contains(l, "Δ") {
		t.Errorf("a pool not diagnosed has an empty WHY: %q", l)
	}
}

// TestCauseChangeMark: a pool whose cause changed between fleets is
// marked Δ; the first fleet marks nothing; the mark goes when
// causeExpiredMsg arrives causeMarkTTL later, with no I/O in between.
func TestCauseChangeMark(t *testing.T) {
	t.Parallel()
	now := t0
	opts := Options{Now: func() time.Time { return now }}
	opts.NoColor = true
	f := newFixture()
	m := New(envoyActor(), opts)
	m = update(t, m, FleetMsg{Fleet: withDiagnoses(f.poll(model.Healthy, "UP", 10), fixtureDiagnoses, true)})
	if strings.Contains(view(m), "Δ") {
		t.Fatalf("the first fleet marks nothing as changed:\n%s", view(m))
	}
	// A new source's pools appearing are not changes either.
	f.store.Ingest(model.Snapshot{Source: "lb2", Kind: model.KindHAProxy, At: t0, Pools: []model.Pool{
		{Name: "fresh", Backends: []model.Backend{be("fresh-1", "10.0.9.1:80", model.Unhealthy, "L4CON", 1, 0, 0)}}}})
	ds0 := maps.Clone(fixtureDiagnoses)
	ds0["fresh"] = model.Diagnosis{State: model.DiagDown, Cause: model.CauseRefused, Short: "refused"}
	m = update(t, m, FleetMsg{Fleet: withDiagnoses(f.poll(model.Healthy, "UP", 10), ds0, true)})
	if strings.Contains(view(m), "Δ") {
		t.Fatalf("a pool that appeared is marked as changed:\n%s", view(m))
	}
	now = now.Add(2 * time.Second)
	ds := maps.Clone(fixtureDiagnoses)
	ds["web"] = model.Diagnosis{State: model.DiagDown, Cause: model.CauseRefused, Short: "refused"}
	ds["static"] = model.Diagnosis{State: model.DiagDegraded, Cause: model.CauseTimeout, Short: "L4TOUT"}
	ds["api"] = model.Diagnosis{State: model.DiagOK, Cause: model.CauseOK} // recovered
	before := m
	m, cmd := updateCmd(t, m, FleetMsg{Fleet: withDiagnoses(f.poll(model.Healthy, "UP", 10), ds, true)})
	if strings.Contains(view(before), "Δ") {
		t.Fatal("Update changed the model it was given: an older copy shows the new marks")
	}
	if cmd == nil {
		t.Fatal("a cause change schedules the end of its mark")
	}
	frame := view(m)
	for name, want := range map[string]string{"web": "Δ refused", "static": "Δ L4TOUT", "api": "Δ ok"} {
		if l := poolLine(t, frame, name); !strings.Contains(l, want) {
			t.Errorf("%s: want %q in %q", name, want, l)
		}
	}
	if l := poolLine(t, frame, "payments"); strings.Contains(l, "Δ") {
		t.Errorf("payments did not change: %q", l)
	}
	// Still marked before the TTL, gone after it.
	m = update(t, m, causeExpiredMsg{At: now.Add(causeMarkTTL - time.Second)})
	if !strings.Contains(poolLine(t, view(m), "web"), "Δ") {
		t.Error("the mark went before its time")
	}
	m = update(t, m, causeExpiredMsg{At: now.Add(causeMarkTTL)})
	if strings.Contains(view(m), "Δ") {
		t.Errorf("the mark outlived causeMarkTTL:\n%s", view(m))
	}
}

// TestDiagnosisBlock: the pool view shows the state, cause, summary and
// evidence above the table, bounded so the table keeps its rows; a long
// evidence list ends with how many facts are not shown.
func TestDiagnosisBlock(t *testing.T) {
	t.Parallel()
	m, _ := diagModel(t, 80, 24)
	m = openPoolNamed(t, m, "web")
	lines := strings.Split(view(m), "\n")[1:] // below the title: the stale banner (edge is failing), then the diagnosis
	if !strings.Contains(lines[0], "✘ SOURCE FAILING: edge") {
		t.Fatalf("stale banner: %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "! degraded · health_checks_failing: 1 of 3") {
		t.Fatalf("summary line: %q", lines[1])
	}
	if !strings.Contains(lines[2], "· web-3 (lb1): L7STS 503") || !strings.Contains(lines[4], "… 2 more facts (lbtop why web)") {
		t.Fatalf("evidence lines:\n%s", strings.Join(lines[:6], "\n"))
	}
	if !strings.Contains(lines[5], "BACKEND") {
		t.Fatalf("the table header follows the block: %q", lines[5])
	}
	// A short terminal keeps the summary only, then drops the block,
	// before the table loses rows.
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 10})
	frame := view(m)
	checkFrame(t, frame, 80, 10)
	if !strings.Contains(frame, "degraded ·") || strings.Contains(frame, "L7STS 503\n") || strings.Contains(frame, "· web-3") {
		t.Fatalf("at 10 lines the block is the summary only:\n%s", frame)
	}
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 8})
	frame = view(m)
	checkFrame(t, frame, 80, 8)
	if strings.Contains(frame, "degraded ·") || !strings.Contains(frame, "web-2") {
		t.Fatalf("at 8 lines the table wins over the block:\n%s", frame)
	}
}

// TestCauseChangesFromSender: a fleet sent with the sender's CauseWatch
// (the engine observes off the UI goroutine) marks the same pools as one
// the UI observes itself, and schedules the mark's end once per change.
func TestCauseChangesFromSender(t *testing.T) {
	t.Parallel()
	f := newFixture()
	m := New(envoyActor(), Options{Now: fixedNow, NoColor: true})
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	var cw CauseWatch
	first := withDiagnoses(f.poll(model.Healthy, "UP", 10), fixtureDiagnoses, true)
	cw = cw.Observe(first, t0)
	sent := cw
	m = update(t, m, FleetMsg{Fleet: first, Causes: &sent})
	ds := maps.Clone(fixtureDiagnoses)
	ds["web"] = model.Diagnosis{State: model.DiagDown, Cause: model.CauseDNS, Short: "dns"}
	second := withDiagnoses(f.poll(model.Healthy, "UP", 10), ds, true)
	cw = cw.Observe(second, t0)
	sent = cw
	m, cmd := updateCmd(t, m, FleetMsg{Fleet: second, Causes: &sent})
	if l := poolLine(t, view(m), "web"); !strings.Contains(l, "Δ dns") || cmd == nil {
		t.Fatalf("web: %q (tick scheduled: %v)", l, cmd != nil)
	}
	// The same watch again (a fleet from another source, no new change)
	// schedules nothing more.
	third := withDiagnoses(f.poll(model.Healthy, "UP", 10), ds, true)
	cw = cw.Observe(third, t0)
	sent = cw
	_, cmd = updateCmd(t, m, FleetMsg{Fleet: third, Causes: &sent})
	if cmd != nil {
		t.Fatal("no new change, yet a Cmd (another expiry tick)")
	}
}
