package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/record"
	"github.com/lbtop/lbtop/ui"
)

// churnRecording writes polls polls of two sources at 2 s, each backend's
// counters moving every poll and its health, reason and weight now and
// then, lb2 failing for a few polls: enough polls that both cross
// keyframes.
func churnRecording(t *testing.T, polls int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "churn.lbtop")
	rec, err := record.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 13))
	t0 := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	healths := []model.Health{model.Healthy, model.Healthy, model.Healthy, model.Unhealthy, model.Draining, model.Down}
	state := map[string]*model.Backend{}
	for i := range polls {
		for si, src := range []string{"lb1", "lb2"} {
			s := model.Snapshot{Source: src, Kind: model.KindHAProxy, At: t0.Add(time.Duration(i)*2*time.Second + time.Duration(si)*300*time.Millisecond), Took: time.Millisecond}
			if src == "lb2" && i >= 40 && i < 44 {
				s.Err = errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
			} else {
				for p := range 6 {
					pool := model.Pool{Name: fmt.Sprintf("svc-%d", p)}
					for k := range 4 {
						name := fmt.Sprintf("%s-%d-%d", src, p, k)
						b, ok := state[name]
						if !ok {
							b = &model.Backend{Name: name, Address: fmt.Sprintf("10.0.%d.%d:80", p, k), Health: model.Healthy, Reason: "L7OK", Weight: 10, Counters: true}
							state[name] = b
						}
						b.Requests += uint64(rng.IntN(500))
						b.Errors += uint64(rng.IntN(5))
						if (i+7*p+3*k+11*si)%80 == 0 { // 2 changes in 5 min at most: not flapping
							b.Health = healths[rng.IntN(len(healths))]
							b.Reason = fmt.Sprintf("L4CON %d", rng.IntN(3))
							b.Since = s.At
						}
						if rng.IntN(20) == 0 {
							b.Weight = rng.IntN(100)
						}
						pool.Backends = append(pool.Backends, *b)
					}
					s.Pools = append(s.Pools, pool)
				}
			}
			if err := rec.Snapshot(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// fleetAt moves e to poll j and returns the fleet it sent.
func fleetAt(t *testing.T, e *replayer, j int) *model.Fleet {
	t.Helper()
	var f *model.Fleet
	e.moveTo(j, func(m tea.Msg) {
		if rm, ok := m.(ui.ReplayMsg); ok && rm.Fleet.Fleet != nil {
			f = rm.Fleet.Fleet
		}
	})
	if f == nil {
		t.Fatalf("moving to poll %d sent no fleet", j)
	}
	return f
}

func openReplayer(t *testing.T, path string) *replayer {
	t.Helper()
	p, err := record.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	e, err := newReplayer(p, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sameFleet reports how a fleet reached by stepping differs from the one
// a fresh replayer shows after seeking straight to the same poll. A
// backend's Transitions (its state changes in the last five minutes) are
// left out: they count what the store saw, and a seek feeds it a
// sparkline's width of polls (replayWarmBudget), stepping all of them.
func sameFleet(t *testing.T, how string, j int, got, want *model.Fleet) {
	t.Helper()
	rows := func(p model.PoolRow) model.PoolRow { // a copy: fleets are shared values
		p.Backends = slices.Clone(p.Backends)
		for k := range p.Backends {
			p.Backends[k].Transitions = 0
		}
		return p
	}
	if !got.At.Equal(want.At) || !reflect.DeepEqual(got.Sources, want.Sources) {
		t.Fatalf("%s to poll %d: at %s sources %+v; a fresh seek: at %s sources %+v", how, j, got.At, got.Sources, want.At, want.Sources)
	}
	if len(got.Pools) != len(want.Pools) {
		t.Fatalf("%s to poll %d: %d pools, a fresh seek %d", how, j, len(got.Pools), len(want.Pools))
	}
	for i := range want.Pools {
		if !reflect.DeepEqual(rows(got.Pools[i]), rows(want.Pools[i])) {
			t.Fatalf("%s to poll %d: pool %d differs from a fresh seek\n got %+v\nwant %+v", how, j, i, got.Pools[i], want.Pools[i])
		}
	}
}

// TestReplayStepIsASeek: → (and play) apply the next poll to the state
// already decoded and ← reuses what was decoded before; whatever the
// path, the fleet shown is the one a fresh replayer seeking straight to
// that poll shows.
func TestReplayStepIsASeek(t *testing.T) {
	t.Parallel()
	path := churnRecording(t, 150)
	stepper := openReplayer(t, path)
	n := len(stepper.times)
	fleetAt(t, stepper, 0)
	check := func(how string, j int, got *model.Fleet) {
		t.Helper()
		sameFleet(t, how, j, got, fleetAt(t, openReplayer(t, path), j))
	}
	for j := 1; j < n; j++ { // → over the whole recording: keyframes, the failing source
		got := fleetAt(t, stepper, j)
		if j%7 == 0 || j == n-1 || (j >= 80 && j <= 90) {
			check("→", j, got)
		}
	}
	for j := n - 2; j >= n-80; j-- { // ← held down: polls → showed, then rebuilt stores
		check("←", j, fleetAt(t, stepper, j))
	}
	for _, j := range []int{150, 20, 151, 22, 21, 240} { // t back and forth, then →
		check("t", j, fleetAt(t, stepper, j))
		check("→ after t", j+1, fleetAt(t, stepper, j+1))
	}
}
