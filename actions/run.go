package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lbtop/lbtop/model"
)

// Request is one action to perform on one backend, with what was read
// before it and the operator's reason.
type Request struct {
	Action  model.Action
	Kind    model.Kind    // the source's system, for the audit line
	Before  model.Backend // the backend as read when the action was asked for
	Reason  string        // one line; may be empty
	Reverts bool          // the action undoes an earlier one
}

// Result is what became of a Request.
type Result struct {
	Request
	Outcome  Outcome
	After    model.Backend // as the last verifying poll reported it
	HasAfter bool
	Err      error // the write's error (Failed), or why NotApplied
	AuditErr error // the audit line could not be written
	SentAt   time.Time
	At       time.Time // when the outcome was decided
}

// Done reports whether the action is known to have taken effect.
func (r Result) Done() bool { return r.Outcome == Confirmed }

// Summary is one line for the UI's message line and the CLI.
func (r Result) Summary() string {
	a := r.Action.String()
	if r.Action.Kind.ProxyLevel() {
		a = r.Action.Kind.String() + " " + r.Action.Ref.Source
	}
	switch r.Outcome {
	case Confirmed:
		if r.Action.Kind.ProxyLevel() {
			return "confirmed: " + a + " — the proxy now " + ProxyStateText(r.Action.Kind == model.ActionProxyFail)
		}
		return "confirmed: " + a + " — now " + StateOf(r.After).String()
	case NotApplied:
		if !r.HasAfter {
			return "not applied: " + a + " — " + r.Err.Error()
		}
		return "not applied: " + a + " — " + string(r.Kind) + " reports " + StateOf(r.After).String()
	case Failed:
		return "failed: " + a + " — " + r.Err.Error() + " (nothing was changed as far as lbtop knows)"
	case Refused:
		return "refused: " + a + " — " + r.Err.Error()
	case Abandoned:
		return "abandoned: " + a + " — lbtop quit before its outcome was known"
	}
	return "pending: " + a
}

// Undo returns the request that reverts r: it restores the state and
// weight read before r. It fails when r did not take effect or the
// earlier value is unknown.
func (r Result) Undo() (Request, error) {
	if r.Outcome != Confirmed && r.Outcome != NotApplied {
		return Request{}, fmt.Errorf("nothing to undo: %s %s", r.Action, r.Outcome)
	}
	a := model.Action{Ref: r.Action.Ref}
	switch r.Action.Kind {
	case model.ActionProxyFail, model.ActionProxyOK:
		a.Kind = model.ActionProxyFail
		if r.Action.Kind == model.ActionProxyFail {
			a.Kind = model.ActionProxyOK
		}
		return Request{Action: a, Kind: r.Kind, Reason: "undo " + r.Action.Kind.String(), Reverts: true}, nil
	case model.ActionWeight:
		if r.Before.Weight < 0 {
			return Request{}, fmt.Errorf("cannot undo %s: the weight before it is unknown", r.Action)
		}
		a.Kind, a.Weight = model.ActionWeight, r.Before.Weight
	case model.ActionDrain, model.ActionReady, model.ActionMaint:
		a.Kind = adminAction(r.Before)
	default:
		return Request{}, fmt.Errorf("cannot undo %s", r.Action)
	}
	before := r.Before
	if r.HasAfter {
		before = r.After
	}
	return Request{Action: a, Kind: r.Kind, Before: before, Reason: "undo " + r.Action.String(), Reverts: true}, nil
}

// adminAction is the state action that puts a backend back into b's
// administrative state.
func adminAction(b model.Backend) model.ActionKind {
	switch b.Admin {
	case model.AdminDrain:
		return model.ActionDrain
	case model.AdminMaint:
		return model.ActionMaint
	case model.AdminReady:
		return model.ActionReady
	}
	switch {
	case b.Health == model.Draining && b.Weight != 0:
		return model.ActionDrain
	case b.Health == model.Down:
		return model.ActionMaint
	}
	return model.ActionReady
}

// ProxyStateText says what a proxy's own health check does.
func ProxyStateText(failing bool) string {
	if failing {
		return "FAILS its health check"
	}
	return "passes its health check"
}

// Runner performs every action end to end, backend or proxy-level: the
// write, an audit line "sent" as soon as it returns, its verification by
// polling the source again, and the audit line with the outcome. It is
// safe for concurrent use; the UI calls Run inside a tea.Cmd and the CLI
// from its goroutine. Wait and Abandon let a quitting program keep the
// audit complete.
type Runner struct {
	// Do sends the action to its source (sources.Hub.Do).
	Do func(ctx context.Context, a model.Action) error
	// Poll reads the named source afresh through the Hub (Hub.PollNow),
	// so the verifying snapshot also feeds the Store and never overlaps
	// another poll of that source; errors are in the snapshot's Err.
	Poll func(ctx context.Context, source string) model.Snapshot
	Log  *Log // nil: no audit file (tests, --audit-log -)
	User Who
	Host string

	WriteTimeout  time.Duration // the write; 10s when zero
	VerifyTimeout time.Duration // polls until the state shows; 10s when zero
	PollEvery     time.Duration // between verifying polls; 200ms when zero
	Now           func() time.Time

	mu       sync.Mutex
	inflight map[int]*flight
	nextID   int
	wg       sync.WaitGroup
}

// flight is one request being run; done is set once its outcome line
// (or an abandoned line) is written.
type flight struct {
	req  Request
	done bool
}

// begin registers a request as in flight.
func (r *Runner) begin(req Request) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inflight == nil {
		r.inflight = map[int]*flight{}
	}
	r.nextID++
	r.inflight[r.nextID] = &flight{req: req}
	r.wg.Add(1)
	return r.nextID
}

// end unregisters a request; it reports whether its outcome line is still
// to be written (Abandon has not written one for it).
func (r *Runner) end(id int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.inflight[id]
	delete(r.inflight, id)
	r.wg.Done()
	return f != nil && !f.done
}

// abandoned reports whether Abandon has written request id's line.
func (r *Runner) abandoned(id int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.inflight[id]
	return f != nil && f.done
}

// Pending is how many requests are being run.
func (r *Runner) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, f := range r.inflight {
		if !f.done {
			n++
		}
	}
	return n
}

// Wait blocks until every request being run has its outcome line.
func (r *Runner) Wait() { r.wg.Wait() }

// Abandon writes an "abandoned" audit line for every request still being
// run, for a program quitting before their outcome is known. Their later
// outcomes are then not written.
func (r *Runner) Abandon() []Result {
	r.mu.Lock()
	var out []Result
	for _, f := range r.inflight {
		if !f.done {
			f.done = true
			out = append(out, Result{Request: f.req, Outcome: Abandoned})
		}
	}
	r.mu.Unlock()
	for i := range out {
		out[i] = r.write(out[i])
	}
	return out
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Run performs one request and returns its result after writing the
// audit line. The result is Confirmed only when a poll that started after
// the write returned shows the new state; the write's own reply is never
// taken as proof.
func (r *Runner) Run(ctx context.Context, req Request) Result {
	if err := req.Before.Addressable(); err != nil {
		return r.Refuse(req, err) // never in flight: nothing to wait for or abandon
	}
	id := r.begin(req)
	res := Result{Request: req}
	wctx, cancel := context.WithTimeout(ctx, orDefault(r.WriteTimeout, 10*time.Second))
	err := r.Do(wctx, req.Action)
	cancel()
	res.SentAt = r.now()
	if err != nil {
		// The system's reply becomes the error: make it terminal-safe
		// and short once, for the screen, the CLI and the audit line.
		res.Outcome, res.Err = Failed, model.SanitizeError(err)
		return r.finishFlight(id, res)
	}
	if !r.abandoned(id) {
		sent := r.write(Result{Request: req, Outcome: Sent, SentAt: res.SentAt})
		res.AuditErr = sent.AuditErr
	}
	res = r.verify(ctx, res)
	return r.finishFlight(id, res)
}

// finishFlight writes res's outcome line unless Abandon already wrote one.
func (r *Runner) finishFlight(id int, res Result) Result {
	r.mu.Lock()
	f := r.inflight[id]
	abandoned := f != nil && f.done
	if f != nil {
		f.done = true
	}
	r.mu.Unlock()
	defer r.end(id)
	if abandoned {
		res.At = r.now()
		return res
	}
	auditErr := res.AuditErr
	res = r.write(res)
	if res.AuditErr == nil {
		res.AuditErr = auditErr
	}
	return res
}

// verify polls the source until the action shows or the timeout passes.
func (r *Runner) verify(ctx context.Context, res Result) Result {
	vctx, cancel := context.WithTimeout(ctx, orDefault(r.VerifyTimeout, 10*time.Second))
	defer cancel()
	tick := time.NewTicker(orDefault(r.PollEvery, 200*time.Millisecond))
	defer tick.Stop()
	var lastErr error
	for {
		snap := r.Poll(vctx, res.Action.Ref.Source)
		out, b, found := Verify(res.Action, res.SentAt, snap)
		proxy := res.Action.Kind.ProxyLevel()
		switch {
		case out == Confirmed:
			res.Outcome, res.After, res.HasAfter = Confirmed, b, !proxy
			return res
		case proxy && snap.Err == nil && found:
			lastErr = fmt.Errorf("%s still reports that the proxy %s", res.Action.Ref.Source, ProxyStateText(snap.ProxyFailing))
		case proxy && snap.Err == nil:
			// A poll already under way when the write returned: wait.
		case snap.Err != nil && vctx.Err() != nil:
			// The verification's own deadline cut this poll: what an
			// earlier poll showed is the better answer.
		case snap.Err != nil:
			lastErr = model.SanitizeError(snap.Err)
		case found:
			res.After, res.HasAfter, lastErr = b, true, nil
		default:
			lastErr = fmt.Errorf("%s no longer reports %s/%s", res.Action.Ref.Source, res.Action.Ref.Pool, res.Action.Ref.Backend)
		}
		select {
		case <-vctx.Done():
			res.Outcome = NotApplied
			switch {
			case res.HasAfter && lastErr == nil:
				res.Err = errors.New("the system still reports " + StateOf(res.After).String())
			case lastErr != nil:
				res.Err = fmt.Errorf("could not verify: %w", lastErr)
			default:
				res.Err = errors.New("could not verify within the timeout")
			}
			return res
		case <-tick.C:
		}
	}
}

// Refuse records a request lbtop refused before sending (the guard, a
// read-only source) and returns its result.
func (r *Runner) Refuse(req Request, why error) Result {
	return r.write(Result{Request: req, Outcome: Refused, Err: why})
}

// write stamps the result and writes its audit line.
func (r *Runner) write(res Result) Result {
	res.At = r.now()
	if r.Log != nil {
		res.AuditErr = r.Log.Append(r.entry(res))
	}
	return res
}

// entry is the audit line for a result.
func (r *Runner) entry(res Result) Entry {
	a := res.Action
	e := Entry{
		Time: res.At.UTC(), User: r.User, Host: r.Host,
		Source: a.Ref.Source, Kind: string(res.Kind), Pool: a.Ref.Pool, Backend: a.Ref.Backend,
		Action: a.Kind.String(), Reason: res.Reason, Result: res.Outcome, Undo: res.Reverts,
	}
	if a.Kind == model.ActionWeight {
		w := a.Weight
		e.Weight = &w
	}
	if !a.Kind.ProxyLevel() {
		before := StateOf(res.Before)
		e.Before = &before
	}
	if res.HasAfter {
		after := StateOf(res.After)
		e.After = &after
	}
	if res.Err != nil {
		e.Error = res.Err.Error()
	}
	return e
}

// RunAll performs the requests concurrently (fan-out to several
// instances) and returns their results in the same order.
func (r *Runner) RunAll(ctx context.Context, reqs []Request) []Result {
	out := make([]Result, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = r.Run(ctx, req)
		}()
	}
	wg.Wait()
	return out
}

// FanOutSummary says which instances changed when some did not.
func FanOutSummary(rs []Result) string {
	var ok, bad []string
	for _, r := range rs {
		if r.Done() {
			ok = append(ok, r.Action.Ref.Source)
		} else {
			bad = append(bad, r.Action.Ref.Source+" ("+r.Outcome.String()+")")
		}
	}
	switch {
	case len(bad) == 0:
		return fmt.Sprintf("confirmed on all %d instances", len(rs))
	case len(ok) == 0:
		return fmt.Sprintf("changed on none of %d instances: %s", len(rs), strings.Join(bad, ", "))
	}
	return fmt.Sprintf("PARTIAL: changed on %s; NOT on %s", strings.Join(ok, ", "), strings.Join(bad, ", "))
}
