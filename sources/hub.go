package sources

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lbtop/lbtop/model"
)

// Entry is one source with its polling settings.
type Entry struct {
	Source   Source
	Interval time.Duration // time between polls; 2s when zero
	Timeout  time.Duration // deadline of one poll; the interval (at most 10s) when zero
	ReadOnly bool          // refuse every action on this source
	MergeAs  model.Kind    // merge its pools with same-named pools of this kind (config merge_as)
}

func (e Entry) interval() time.Duration {
	if e.Interval <= 0 {
		return 2 * time.Second
	}
	return e.Interval
}

func (e Entry) timeout() time.Duration {
	if e.Timeout > 0 {
		return e.Timeout
	}
	return min(e.interval(), 10*time.Second)
}

// maxBackoff caps the back-off of a failing source at 5 s, so a source
// that comes back is seen within a few seconds; a source polled less often
// than that is simply polled at its interval.
const maxBackoff = 5 * time.Second

// Hub polls every source on its own goroutine and performs actions.
// Snapshots arrive on one channel in the order polls finish. It is safe
// for concurrent use.
type Hub struct {
	entries []Entry
	byName  map[string]int
	kick    []chan struct{} // one-slot "poll now" signals
	out     chan model.Snapshot
	start   sync.Once

	polling []sync.Mutex            // one per source: one poll of it at a time
	waitMu  sync.Mutex              // guards waiters
	waiters [][]chan model.Snapshot // PollNow callers, per source, for its next poll
	running atomic.Bool             // Run has started the polling loops
}

// NewHub returns a hub over entries; names must be unique.
func NewHub(entries []Entry) (*Hub, error) {
	h := &Hub{entries: entries, byName: map[string]int{}, out: make(chan model.Snapshot, len(entries)+1)}
	for i, e := range entries {
		name := e.Source.Name()
		if _, dup := h.byName[name]; dup {
			return nil, fmt.Errorf("two sources are named %q: give each a unique name", name)
		}
		h.byName[name] = i
		h.kick = append(h.kick, make(chan struct{}, 1))
	}
	h.polling = make([]sync.Mutex, len(entries))
	h.waiters = make([][]chan model.Snapshot, len(entries))
	return h, nil
}

// Entries returns the hub's sources in order.
func (h *Hub) Entries() []Entry { return h.entries }

// Run starts one polling goroutine per source and returns the channel
// snapshots arrive on. The first poll of every source starts at once.
// Goroutines stop when ctx is done; the channel is then closed.
func (h *Hub) Run(ctx context.Context) <-chan model.Snapshot {
	h.start.Do(func() {
		h.running.Store(true)
		var wg sync.WaitGroup
		for i := range h.entries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.loop(ctx, i)
			}()
		}
		go func() {
			wg.Wait()
			close(h.out)
		}()
	})
	return h.out
}

// loop polls one source: at once, then every interval with ±10% jitter,
// backing off after failures (at most 2× the interval, see nextDelay), and
// early when kicked. Only
// this goroutine polls the source, so one poll at most is in flight.
func (h *Hub) loop(ctx context.Context, i int) {
	e := h.entries[i]
	failures := 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-h.kick[i]:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		snap := h.poll(ctx, i)
		if ctx.Err() != nil {
			return
		}
		if snap.Err != nil {
			failures++
		} else {
			failures = 0
		}
		select {
		case h.out <- snap:
		case <-ctx.Done():
			return
		}
		timer.Reset(nextDelay(e.interval(), failures))
	}
}

// nextDelay is the interval with ±10% jitter, doubled per consecutive
// failure up to twice the interval and at most maxBackoff, but never
// below the interval: a failing source eases off a little without losing
// sight of its recovery for long.
func nextDelay(interval time.Duration, failures int) time.Duration {
	ceiling := max(interval, min(2*interval, maxBackoff))
	d := interval
	for i := 0; i < failures && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return d + jitter
}

// PollOnce polls one source under its timeout and returns a snapshot that
// carries any error, with Source, Kind, At and Took filled in.
func PollOnce(ctx context.Context, e Entry) model.Snapshot {
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	snap, err := e.Source.Poll(pctx)
	if err != nil {
		snap = model.Snapshot{Err: err}
	}
	snap.Source = e.Source.Name()
	snap.Kind = e.Source.Kind()
	snap.At = time.Now()
	snap.Took = snap.At.Sub(start)
	return snap
}

// PollAll polls every source once, concurrently, and returns the snapshots
// in source order.
func (h *Hub) PollAll(ctx context.Context) []model.Snapshot {
	out := make([]model.Snapshot, len(h.entries))
	var wg sync.WaitGroup
	for i := range h.entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = h.poll(ctx, i)
		}()
	}
	wg.Wait()
	return out
}

// Refresh asks the named source to poll now. It never blocks; a poll
// already pending absorbs the request.
func (h *Hub) Refresh(name string) {
	if i, ok := h.byName[name]; ok {
		select {
		case h.kick[i] <- struct{}{}:
		default:
		}
	}
}

// RefreshAll asks every source to poll now (the dashboard's R). It never
// blocks, and a source in back-off after failures polls at once too.
func (h *Hub) RefreshAll() {
	for _, e := range h.entries {
		h.Refresh(e.Source.Name())
	}
}

// Supports reports whether the named source can perform an action kind,
// and if not, why. Read-only sources support nothing.
func (h *Hub) Supports(source string, k model.ActionKind) (bool, string) {
	i, ok := h.byName[source]
	if !ok {
		return false, fmt.Sprintf("no source named %q", source)
	}
	if h.entries[i].ReadOnly {
		return false, fmt.Sprintf("source %q is read-only", source)
	}
	return Supports(h.entries[i].Source, k)
}

// Do performs an action through the source named in a.Ref.Source, under
// ctx, and on success asks that source to re-poll at once so the screen
// shows the system's own view of the change.
func (h *Hub) Do(ctx context.Context, a model.Action) error {
	i, ok := h.byName[a.Ref.Source]
	if !ok {
		return fmt.Errorf("no source named %q", a.Ref.Source)
	}
	if h.entries[i].ReadOnly {
		return fmt.Errorf("source %q is read-only: %s refused", a.Ref.Source, a.Kind)
	}
	err := Do(ctx, h.entries[i].Source, a)
	h.Refresh(a.Ref.Source) // re-poll even after an error: the state may have changed
	return err
}

// WeightRange is the inclusive range of weights the named source accepts;
// ok is false when it has no weights (or no such source).
func (h *Hub) WeightRange(source string) (lo, hi int, ok bool) {
	i, found := h.byName[source]
	if !found {
		return 0, 0, false
	}
	if w, isW := h.entries[i].Source.(Weighter); isW {
		lo, hi = w.WeightRange()
		return lo, hi, true
	}
	return 0, 0, false
}

// poll runs one poll of source i, never two at once, and hands the
// snapshot to every PollNow caller waiting since before it started.
func (h *Hub) poll(ctx context.Context, i int) model.Snapshot {
	h.waitMu.Lock()
	ws := h.waiters[i]
	h.waiters[i] = nil
	h.waitMu.Unlock()
	h.polling[i].Lock()
	snap := PollOnce(ctx, h.entries[i])
	h.polling[i].Unlock()
	for _, w := range ws {
		w <- snap // buffered: never blocks
	}
	return snap
}

// PollNow returns a snapshot of the named source from a poll that starts
// after the call. While Run's loops poll, it asks that source's loop to
// poll at once and waits for that poll, so the snapshot also reaches the
// channel (and the Store) and never overlaps another poll of the source;
// before Run it polls directly, still one poll at a time. Errors, ctx's
// included, are in the snapshot's Err.
func (h *Hub) PollNow(ctx context.Context, name string) model.Snapshot {
	i, ok := h.byName[name]
	if !ok {
		return model.Snapshot{Source: name, Err: fmt.Errorf("no source named %q", name), At: time.Now()}
	}
	if !h.running.Load() {
		return h.poll(ctx, i)
	}
	w := make(chan model.Snapshot, 1)
	h.waitMu.Lock()
	h.waiters[i] = append(h.waiters[i], w)
	h.waitMu.Unlock()
	h.Refresh(name)
	select {
	case snap := <-w:
		return snap
	case <-ctx.Done():
		return model.Snapshot{Source: name, Kind: h.entries[i].Source.Kind(), Err: fmt.Errorf("poll of %q: %w", name, ctx.Err()), At: time.Now()}
	}
}

// Describer is implemented by sources that can say exactly what an
// action sends, or why they would refuse it, without sending anything.
type Describer interface {
	Describe(a model.Action) (string, error)
}

// Describe says what the named source sends for a, or why it would refuse
// it: the source's own Describe, after the read-only and capability
// checks. A source without Describe gets the action's name.
func (h *Hub) Describe(source string, a model.Action) (string, error) {
	if ok, why := h.Supports(source, a.Kind); !ok {
		return "", fmt.Errorf("%w: %s", ErrUnsupported, why)
	}
	if d, ok := h.entries[h.byName[source]].Source.(Describer); ok {
		return d.Describe(a)
	}
	return source + ": " + a.String(), nil
}
