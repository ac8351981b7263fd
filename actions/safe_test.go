package actions_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// safeRunner is a Runner whose writes answer with err and count calls,
// with an audit log in a temporary directory.
func safeRunner(t *testing.T, err error, calls *int) (*actions.Runner, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	l, oerr := actions.Open(path)
	if oerr != nil {
		t.Fatal(oerr)
	}
	t.Cleanup(func() { _ = l.Close() })
	return &actions.Runner{
		Do: func(context.Context, model.Action) error { *calls++; return err },
		Poll: func(_ context.Context, name string) model.Snapshot {
			return model.Snapshot{Source: name, Err: errors.New("unused")}
		},
		Log: l, VerifyTimeout: 50 * time.Millisecond, PollEvery: 10 * time.Millisecond,
	}, path
}

// TestEscapedNameIsNeverSent: the Store escaped the backend's name, so
// the name lbtop has is not the system's; the action is refused before
// anything is sent, and the refusal is audited.
func TestEscapedNameIsNeverSent(t *testing.T) {
	t.Parallel()
	st := model.NewStore(nil)
	f := st.Ingest(model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: time.Now(), Pools: []model.Pool{
		{Name: "web", Backends: []model.Backend{{Name: "web\x1b[2J", Health: model.Healthy, Weight: 1}}},
	}})
	ms, err := actions.Resolve(f, "web", `web\x1b[2J`, "")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	r, path := safeRunner(t, nil, &calls)
	res := r.Run(context.Background(), actions.Request{Action: model.Action{Kind: model.ActionDrain, Ref: ms[0].Row.Ref()}, Kind: model.KindHAProxy, Before: ms[0].Row.Backend})
	if calls != 0 || res.Outcome != actions.Refused || !errors.Is(res.Err, model.ErrEscapedName) {
		t.Fatalf("sent %d times, outcome %v, err %v", calls, res.Outcome, res.Err)
	}
	es, _, err := actions.ReadEntries(path, 0)
	if err != nil || len(es) != 1 || es[0].Result != actions.Refused {
		t.Fatalf("audit %+v, %v", es, err)
	}
	// A refusal is not in flight: a quitting dashboard neither waits for
	// it forever nor writes an "abandoned" line after its "refused".
	if n := r.Pending(); n != 0 {
		t.Fatalf("%d pending after a refusal", n)
	}
	if ab := r.Abandon(); len(ab) != 0 {
		t.Fatalf("Abandon after a refusal: %+v", ab)
	}
	waited := make(chan struct{})
	go func() { r.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("Wait still blocks 5 s after the refusal")
	}
}

// TestSystemReplyIsSanitized: a write answered with megabytes of text
// and escape sequences becomes a short, inert error on the screen, the
// CLI and in the audit line.
func TestSystemReplyIsSanitized(t *testing.T) {
	t.Parallel()
	calls := 0
	reply := errors.New("nginx: PATCH: 400 \x1b]2;pwned\x07" + strings.Repeat("\x1b[31mX", 1<<18))
	r, path := safeRunner(t, reply, &calls)
	res := r.Run(context.Background(), actions.Request{Action: model.Action{Kind: model.ActionDrain, Ref: model.BackendRef{Source: "n", Pool: "p", Backend: "b"}}, Kind: model.KindNGINX})
	if res.Outcome != actions.Failed || !errors.Is(res.Err, reply) {
		t.Fatalf("outcome %v, err %v", res.Outcome, res.Err)
	}
	es, _, err := actions.ReadEntries(path, 0)
	if err != nil || len(es) != 1 {
		t.Fatalf("audit %+v, %v", es, err)
	}
	for what, s := range map[string]string{"summary": res.Summary(), "audit error": es[0].Error} {
		if model.SafeText(s) != s || len(s) > 512 {
			t.Errorf("%s is %d bytes, safe %v: %.120q", what, len(s), model.SafeText(s) == s, s)
		}
	}
}
