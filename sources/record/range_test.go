package record

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
)

// TestRange checks Range against what was written: every snapshot of a
// stretch, failed polls included, whatever keyframe it starts after, and
// values fn may keep (a later delta does not change an earlier one).
func TestRange(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rec.lbtop")
	r, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	r.keyEvery = 7
	written := writeChurn(t, r, 30, 2, 3, 12, rand.New(rand.NewPCG(3, 4)))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	p := openPlayer(t, path)
	check := func(span [2]int) {
		t.Helper()
		from := t0.Add(-time.Second)
		if span[0] >= 0 {
			from = written[span[0]].At
		}
		var got []model.Snapshot
		if err := p.Range(from, written[span[1]].At, func(s model.Snapshot) error {
			got = append(got, s)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := written[span[0]+1 : span[1]+1]
		if len(got) != len(want) {
			t.Fatalf("Range %v: %d snapshots, want %d", span, len(got), len(want))
		}
		for i := range want {
			g := got[i]
			g.Took = want[i].Took
			if !reflect.DeepEqual(normal(g), normal(want[i])) {
				t.Errorf("Range %v: snapshot %d differs\n got %+v\nwant %+v", span, i, g, want[i])
			}
		}
	}
	spans := [][2]int{{-1, 29}, {3, 15}, {8, 9}, {11, 12}, {13, 20}, {20, 20}}
	for _, span := range spans {
		check(span)
	}
	// the same spans from a fresh Player, then in reverse: each walk
	// starts from whatever earlier ones kept (decodedCache)
	p = openPlayer(t, path)
	for i := range spans {
		check(spans[len(spans)-1-i])
	}
	// a dashboard's → and ← over a stretch of 4 polls, across keyframes
	// and the failed poll
	for i := 5; i < 29; i++ {
		check([2]int{i - 1, i})
	}
	for i := 28; i >= 4; i-- {
		check([2]int{i - 4, i})
	}
	stop := errors.New("enough")
	if err := p.Range(t0, written[29].At, func(model.Snapshot) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn's error: %v", err)
	}
}

// writeChurn records polls snapshots of source lb1 (pools×per backends,
// counters changing every poll; fleet), the one at failAt a failed poll,
// and returns them as written.
func writeChurn(t *testing.T, r *Recorder, polls, pools, per, failAt int, rng *rand.Rand) []model.Snapshot {
	t.Helper()
	var written []model.Snapshot
	var prev *model.Snapshot
	for i := range polls {
		s := fleet("lb1", pools, per, i, true, rng, prev)
		if i == failAt {
			s = model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: s.At, Err: errors.New("dial unix /run/haproxy.sock: connect: connection refused")}
		} else {
			prev = &s
		}
		written = append(written, s)
		if err := r.Snapshot(s); err != nil {
			t.Fatal(err)
		}
	}
	return written
}
