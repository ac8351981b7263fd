package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/ui"
)

// An operator drains a server from the dashboard over real SSH: HAProxy
// shows it, the audit line names the key's comment, fingerprint and
// client address, and the viewer watching at the same time sees it
// pending on the row while it runs (the relay holds the verifying poll),
// then the notice and a line in its actions list, while its own d is
// refused. Resizing one terminal leaves the other's size alone. SIGTERM
// (the context ending) tells both sessions and closes them.
func TestServeOperatorAndViewer(t *testing.T) {
	inst := fleet3(t)
	relay := countStats(t, inst.Addr)
	r := startServe(t, relay.addr, "--interval", "2s")
	op := r.term(t, "ana", 100, 30)
	vw := r.term(t, "vic", 110, 24)
	op.waitFor("[ana · operator · 2 watching: ana, vic]", 10*time.Second)
	vw.waitFor("[vic · viewer · 2 watching: ana, vic]", 10*time.Second)

	// The viewer: open web, press d: refused, and HAProxy unchanged.
	vw.openWeb()
	vw.keys("d")
	vw.waitFor("read-only mode: actions disabled", 5*time.Second)

	// The operator drains the server under the cursor with a reason.
	op.openWeb()
	op.askDrain("INC-7")
	relay.delay.Store(int64(time.Second))
	op.keys("y")
	vw.waitFor("pending drain by ana", 5*time.Second)
	relay.delay.Store(0)
	op.waitFor("confirmed: drain", 15*time.Second)
	drained := ""
	for _, s := range []string{"w1", "w2", "w3"} {
		if strings.HasPrefix(inst.Status(t, "web", s), "DRAIN") {
			drained = s
		}
	}
	if drained == "" {
		t.Fatalf("HAProxy shows no web server draining:\n%s", op.screen())
	}
	// Each row reads the drain with its outcome, never "confirmed" beside
	// the state before: the outcome reaches a session behind the fleet
	// that shows it.
	for who, tm := range map[string]*term{"ana": op, "vic": vw} {
		if row := rowOf(tm.waitFor("confirmed: drain", 5*time.Second), drained); !strings.Contains(row, "draining") {
			t.Errorf("%s's row of %s reads %q beside the outcome: want it draining", who, drained, row)
		}
	}
	vw.waitFor("ana: confirmed: drain", 5*time.Second)
	vw.keys("a")
	vw.waitFor("by others:", 5*time.Second)
	if s := vw.screen(); !strings.Contains(s, "ana: confirmed: drain haproxy") || !strings.Contains(s, "INC-7") {
		t.Errorf("the viewer's actions list lacks ana's drain:\n%s", s)
	}
	vw.keys("Escape")

	es, bad, err := actions.ReadEntries(r.audit, 0)
	if err != nil || bad != 0 || len(es) == 0 {
		t.Fatalf("audit: %v, %d bad, %d lines", err, bad, len(es))
	}
	last := es[len(es)-1]
	fp := fingerprint(t, r.key("ana")+".pub")
	if last.User.Login != "ana" || last.User.KeyFingerprint != fp || last.User.SSHClient != "127.0.0.1" ||
		last.Backend != drained || last.Result != actions.Confirmed || last.Reason != "INC-7" {
		t.Errorf("audit line %+v, want ana %s from 127.0.0.1 confirming the drain of %s with reason INC-7", last, fp, drained)
	}
	for _, e := range es {
		if e.User.Login == "vic" {
			t.Errorf("the viewer has an audit line: %+v", e)
		}
	}

	// Resize the operator's terminal: its header now fits whole, while
	// the viewer keeps drawing for 110 columns.
	op.do("resize-window", "-t", op.name, "-x", "190", "-y", "30")
	op.waitFor("5xx/s", 5*time.Second)
	time.Sleep(500 * time.Millisecond)
	if s := vw.screen(); len([]rune(widest(s))) > 110 || !strings.Contains(s, "…") {
		t.Errorf("the viewer's screen is no longer drawn for its 110 columns after the operator resized:\n%s", s)
	}

	if code := r.stop(t); code != exitOK {
		t.Fatalf("serve exit %d: %s", code, r.errs)
	}
	for _, tm := range []*term{op, vw} {
		s := tm.waitFor("the server is shutting down", 5*time.Second)
		if strings.Contains(s, "POOL") {
			t.Errorf("the dashboard is still drawn after shutdown:\n%s", s)
		}
	}
}

// widest returns the screen's longest line (trailing spaces trimmed).
func widest(s string) string {
	w := ""
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, " ")
		if len([]rune(l)) > len([]rune(w)) {
			w = l
		}
	}
	return w
}

func fingerprint(t *testing.T, pub string) string {
	t.Helper()
	out, err := exec.Command(needTool(t, "ssh-keygen"), "-l", "-E", "sha256", "-f", pub).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))[1]
}

// Unknown keys, passwords, other commands, forwarding and a dashboard
// without a terminal are all refused with a message.
func TestServeRefusals(t *testing.T) {
	inst := fleet3(t)
	r := startServe(t, inst.Addr)
	for _, c := range []struct {
		name, key string
		opts, cmd []string
		code      int
		stderr    string
	}{
		{"unknown key", "eve", nil, []string{"once"}, 255, "Permission denied (publickey)"},
		{"password", "", []string{"-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive"}, []string{"once"}, 255, "Permission denied (publickey)"},
		{"other command", "ana", nil, []string{"sh", "-c", "id"}, 1, `command "sh" is not offered`},
		{"no terminal", "vic", []string{"-T"}, nil, 1, "the dashboard needs a terminal"},
		{"once, unknown flag", "vic", nil, []string{"once", "--bell"}, 1, "lbtop serve: once: unknown flag --bell (commands: once [-o table|json], why [POOL], help)\n"},
		{"once, bad -o", "vic", nil, []string{"once", "-o", "yaml"}, 1, "lbtop serve: once: -o \"yaml\": want table or json\n"},
		{"stdio forwarding", "ana", []string{"-W", inst.Addr}, nil, 255, "forwarding failed"},
	} {
		code, out, errs := r.run(t, c.key, c.opts, c.cmd...)
		if code != c.code || !strings.Contains(errs, c.stderr) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q (stdout %q)", c.name, code, errs, c.code, c.stderr, out)
		}
	}
}

// `ssh HOST once -o json` gives a viewer the --once JSON and exit status
// from the shared fleet: 0, then 2 once a pool has no healthy backend.
func TestServeOnceJSON(t *testing.T) {
	inst := fleet3(t)
	r := startServe(t, inst.Addr)
	code, out, errs := r.run(t, "vic", nil, "once", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d, want 0: %s\n%s", code, errs, out)
	}
	got := decodeOnce(t, out)
	if len(got.Pools) != 2 || got.NoHealthy != 0 {
		t.Fatalf("pools %+v, want web and api all serving", got.Pools)
	}
	if reply := strings.TrimSpace(inst.Cmd(t, "set server api/a1 state maint")); reply != "" {
		t.Fatal(reply)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, out, _ = r.run(t, "vic", nil, "once", "-o", "json")
		if code == exitNoHealthy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("exit %d, want 2 after api lost its only server:\n%s", code, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := decodeOnce(t, out); got.NoHealthy != 1 || got.Pools[0].Name != "api" || !got.Pools[0].NoHealthy {
		t.Errorf("want api first with no healthy backend: %+v", got.Pools)
	}
}

// `ssh HOST why POOL` gives a viewer what `lbtop why POOL` prints about
// the same HAProxy, with its exit status: 2 for a pool with no healthy
// backend, 0 for one serving, 1 and the same message for an unknown one.
func TestServeWhy(t *testing.T) {
	inst := fleet3(t)
	r := startServe(t, inst.Addr)
	if reply := strings.TrimSpace(inst.Cmd(t, "set server api/a1 state maint")); reply != "" {
		t.Fatal(reply)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _, _ := r.run(t, "vic", nil, "why", "api"); code == exitNoHealthy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh why api never exited 2 after api lost its only server")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, pool := range []string{"api", "web", "nope"} {
		code, out, errs := r.run(t, "vic", nil, "why", pool)
		var lout, lerrs bytes.Buffer
		lcode := runWhy(context.Background(), []string{"why", pool, "--haproxy", inst.Addr, "--audit-log", r.audit},
			func(string) string { return "" }, &lout, &lerrs)
		if code != lcode || ageless(out) != ageless(lout.String()) || errs != lerrs.String() {
			t.Errorf("ssh why %s: exit %d\n%s%s\nlbtop why %s: exit %d\n%s%s", pool, code, out, errs, pool, lcode, lout.String(), lerrs.String())
		}
		if want := map[string]int{"api": exitNoHealthy, "web": exitOK, "nope": exitError}[pool]; code != want {
			t.Errorf("ssh why %s: exit %d, want %d", pool, code, want)
		}
	}
	if code, _, errs := r.run(t, "vic", nil, "why", "api", "web"); code != exitError || !strings.Contains(errs, "usage: why [POOL]") {
		t.Errorf("why with two pools: exit %d, %q", code, errs)
	}
}

// ageless blanks the ages in why's text ("for 3s", "down 1m in total"),
// which move between two readings a second apart.
func ageless(s string) string {
	s = ageRE.ReplaceAllString(s, "T")
	return strings.ReplaceAll(s, ", down T in total", "")
}

var ageRE = regexp.MustCompile(`\b\d+(ms|s|m|h|d)\b`)

// Twenty dashboards poll HAProxy no more than one does: the relay in
// front of the runtime API counts the "show stat" commands.
func TestServeOnePollForManyViewers(t *testing.T) {
	inst := fleet3(t)
	relay := countStats(t, inst.Addr)
	r := startServe(t, relay.addr, "--interval", "500ms")
	var terms []*term
	for i := 0; i < 20; i++ {
		terms = append(terms, r.term(t, []string{"ana", "vic"}[i%2], 80, 20))
	}
	for _, tm := range terms {
		tm.waitFor("POOL", 20*time.Second)
	}
	terms[0].waitFor("20 watching", 5*time.Second) // the last to join told the first
	before := relay.count.Load()
	const window = 4 * time.Second
	time.Sleep(window)
	polls := relay.count.Load() - before
	t.Logf("%d show stat in %v with 20 sessions", polls, window)
	// One poll per 500ms interval: about 8 in the window (jitter and a
	// slow poll allow a few more or fewer); 20 viewers polling would be 160.
	if polls < 4 || polls > 12 {
		t.Errorf("%d show stat in %v with 20 sessions at a 500ms interval, want about 8", polls, window)
	}
}

// A client that stops reading (SIGSTOP) holds nobody: the other session
// keeps showing HAProxy's changes while it is stopped for 20 s, and the
// server's heap does not grow with what the stopped client did not read.
func TestServeStoppedClient(t *testing.T) {
	inst := fleet3(t)
	r := startServe(t, inst.Addr)
	stuck := r.term(t, "vic", 200, 60)
	live := r.term(t, "ana", 100, 30)
	stuck.waitFor("POOL", 10*time.Second)
	live.waitFor("POOL", 10*time.Second)
	live.keys("/", "api", "Enter", "Enter")
	live.waitFor("› haproxy/api", 5*time.Second)
	pid := stuck.pid()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(pid, syscall.SIGCONT) }()
	before := heapInUse()
	states := []string{"maint", "ready", "drain", "ready"}
	for i, begin := 0, time.Now(); time.Since(begin) < stoppedFor; i++ {
		state := states[i%len(states)]
		if reply := strings.TrimSpace(inst.Cmd(t, "set server api/a1 state "+state)); reply != "" {
			t.Fatal(reply)
		}
		live.waitFor(map[string]string{"maint": "MAINT", "ready": "UP", "drain": "DRAIN"}[state], 5*time.Second)
		time.Sleep(time.Second)
	}
	grew := int64(heapInUse()) - int64(before)
	t.Logf("heap in use %d kB with the client just stopped, %+d kB after %v stopped", before>>10, grew>>10, stoppedFor)
	if grew > maxStoppedGrowth {
		t.Errorf("the heap grew %d kB while a client was stopped for %v, want at most %d kB", grew>>10, stoppedFor, maxStoppedGrowth>>10)
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	stuck.waitFor("POOL", 10*time.Second)
}

// How long TestServeStoppedClient stops a client, and how much the heap
// may grow meanwhile: measured +49 to +182 kB over four runs (with and
// without -race); a server buffering what the client did not read would
// hold twenty 200×60 frames, well over the bound.
const (
	stoppedFor       = 20 * time.Second
	maxStoppedGrowth = 1 << 20
)

// heapInUse is the bytes of live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// The engine never waits for a session: a session whose program is not
// running keeps only the newest fleet.
func TestServeMailboxKeepsNewest(t *testing.T) {
	ss := &session{mail: make(chan ui.FleetMsg, 1)}
	for gen := uint64(1); gen <= 1000; gen++ {
		ss.deliver(ui.FleetMsg{Fleet: &model.Fleet{Gen: gen}})
	}
	if got := (<-ss.mail).Fleet.Gen; got != 1000 {
		t.Errorf("mailbox holds generation %d, want the newest, 1000", got)
	}
	if got := watching([]string{"ana", "bob", "cy"}); got != "3 watching: ana, bob, cy" {
		t.Errorf("presence %q", got)
	}
}

// genModel records the newest fleet generation it was sent.
type genModel struct{ gen *atomic.Uint64 }

func (g genModel) Init() tea.Cmd { return nil }
func (g genModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m, ok := msg.(ui.FleetMsg); ok {
		g.gen.Store(m.Fleet.Gen)
	}
	return g, nil
}
func (g genModel) View() tea.View { return tea.NewView("gen " + strconv.FormatUint(g.gen.Load(), 10)) }

// A program whose terminal never drains (its writes block, as a stopped
// SSH client's do once the channel window is full) or that takes no
// message holds neither the engine's publish nor the other sessions,
// which get the newest fleet.
func TestServeBlockedProgramHoldsNobody(t *testing.T) {
	s := &server{sessions: map[*session]struct{}{}}
	start := func(out io.Writer) (*session, *atomic.Uint64) {
		gen := &atomic.Uint64{}
		inR, inW := io.Pipe()
		t.Cleanup(func() { _ = inW.Close() })
		ss := &session{mail: make(chan ui.FleetMsg, 1), msgs: make(chan tea.Msg, 1)}
		ss.p = tea.NewProgram(genModel{gen}, tea.WithInput(inR), tea.WithOutput(out), tea.WithWindowSize(200, 60))
		done := make(chan struct{})
		go func() { _, _ = ss.p.Run(); close(done) }()
		stop := make(chan struct{})
		go ss.forward(stop)
		t.Cleanup(func() { close(stop); ss.p.Kill(); <-done })
		s.sessions[ss] = struct{}{}
		return ss, gen
	}
	stuckR, stuckW := io.Pipe() // nobody reads: every write blocks
	_, _ = start(stuckW)
	t.Cleanup(func() { _ = stuckR.Close() }) // runs first: unblocks the writes

	// A program that takes no message at all (not started yet, or
	// wedged): its forwarder waits in Send forever.
	ctx, cancel := context.WithCancel(context.Background())
	wedged := &session{mail: make(chan ui.FleetMsg, 1), msgs: make(chan tea.Msg, 1)}
	wedged.p = tea.NewProgram(genModel{&atomic.Uint64{}}, tea.WithContext(ctx))
	stop := make(chan struct{})
	go wedged.forward(stop)
	t.Cleanup(func() { close(stop); cancel() })
	s.sessions[wedged] = struct{}{}
	_, liveGen := start(io.Discard)
	begin := time.Now()
	const n = 5000
	for gen := uint64(1); gen <= n; gen++ {
		s.publish(ui.FleetMsg{Fleet: &model.Fleet{Gen: gen}})
	}
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("publishing %d fleets took %v with one terminal blocked", n, took)
	}
	// These programs have no clock tick, so forward hands the newest fleet
	// over on its late path, fleetLate after the last.
	deadline := time.Now().Add(fleetLate + 5*time.Second)
	for liveGen.Load() != n {
		if time.Now().After(deadline) {
			t.Fatalf("the live session has generation %d, want %d", liveGen.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// --max-sessions turns the next session away with a message, and
// --idle-timeout closes a dashboard nobody types in, saying why.
func TestServeLimits(t *testing.T) {
	inst := fleet3(t)
	r := startServe(t, inst.Addr, "--max-sessions", "1", "--idle-timeout", "2s")
	tm := r.term(t, "ana", 100, 30)
	tm.waitFor("POOL", 10*time.Second)
	code, _, errs := r.run(t, "vic", nil, "once")
	if code != exitError || !strings.Contains(errs, "too many sessions (at most 1)") {
		t.Errorf("second session: exit %d, stderr %q; want 1 and too many sessions", code, errs)
	}
	s := tm.waitFor("closed after 2s without input", 10*time.Second)
	if strings.Contains(s, "POOL") {
		t.Errorf("the dashboard is still drawn after the idle timeout:\n%s", s)
	}
	if code, out, errs := r.run(t, "vic", nil, "once"); code != exitOK {
		t.Errorf("after the idle session left: exit %d: %s %s", code, out, errs)
	}
}

// A 1 MB paste into one session costs that session only: another keeps
// showing HAProxy's changes while the paste is read.
func TestServeHugePaste(t *testing.T) {
	inst := fleet3(t)
	r := startServe(t, inst.Addr)
	paster := r.term(t, "vic", 100, 30)
	live := r.term(t, "ana", 100, 30)
	paster.waitFor("POOL", 10*time.Second)
	live.waitFor("POOL", 10*time.Second) // typed before the dashboard runs, keys go through the client's cooked terminal
	live.keys("/", "api", "Enter", "Enter")
	live.waitFor("› haproxy/api", 10*time.Second)
	big := filepath.Join(t.TempDir(), "paste")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	paster.do("load-buffer", big)
	paster.do("paste-buffer", "-t", paster.name)
	for _, state := range []string{"maint", "ready", "drain"} {
		if reply := strings.TrimSpace(inst.Cmd(t, "set server api/a1 state "+state)); reply != "" {
			t.Fatal(reply)
		}
		live.waitFor(map[string]string{"maint": "MAINT", "ready": "UP", "drain": "DRAIN"}[state], 5*time.Second)
	}
}

// An operator whose connection drops right after confirming does not
// cancel the action: it is verified and audited as confirmed. The relay
// holds every "show stat" for 1 s (the poll timeout is 3 s) so the client
// is gone (SIGKILL) before the verifying poll answers.
func TestServeDisconnectKeepsAction(t *testing.T) {
	inst := fleet3(t)
	relay := countStats(t, inst.Addr)
	r := startServe(t, relay.addr, "--interval", "3s")
	op := r.term(t, "ana", 100, 30)
	op.waitFor("POOL", 10*time.Second)
	op.openWeb()
	op.keys("d")
	op.waitFor("y apply", 5*time.Second)
	relay.delay.Store(int64(time.Second))
	op.keys("y")
	deadline := time.Now().Add(5 * time.Second)
	for !auditHas(t, r.audit, actions.Sent) {
		if time.Now().After(deadline) {
			t.Fatalf("no sent line:\n%s", op.screen())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if auditHas(t, r.audit, actions.Confirmed) {
		t.Fatal("confirmed before the client was killed: the relay did not hold the verifying poll")
	}
	if err := syscall.Kill(op.pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	op.waitFor("ssh exited", 5*time.Second)
	deadline = time.Now().Add(15 * time.Second)
	for !auditHas(t, r.audit, actions.Confirmed) {
		if time.Now().After(deadline) {
			es, _, _ := actions.ReadEntries(r.audit, 0)
			t.Fatalf("the action was not confirmed after its session went: %+v", es)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// auditHas reports whether the audit log has a line with outcome o.
func auditHas(t *testing.T, path string, o actions.Outcome) bool {
	t.Helper()
	es, _, err := actions.ReadEntries(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Result == o {
			return true
		}
	}
	return false
}

// Frame pacing: a clock tick with a fleet waiting hands the fleet over
// and is not drawn itself; an idle session's tick within idleFrameEvery
// of the last fleet is neither drawn nor hands one over; a session in use
// gets its fleet at every tick.
func TestServeFramePacing(t *testing.T) {
	tick := ui.New(nil, ui.Options{ReadOnly: true}).Init()() // the dashboard's first clock tick, a second away
	if !ui.IsClock(tick) {
		t.Fatalf("Init's Cmd gave %T, want the clock tick", tick)
	}
	ss := &session{mail: make(chan ui.FleetMsg, 1), tick: make(chan struct{}, 1), in: newInput(strings.NewReader(""))}
	p := paced{ui.New(nil, ui.Options{ReadOnly: true}), &ss.frames}
	first := p.View()
	due := func() bool {
		select {
		case <-ss.tick:
			return true
		default:
			return false
		}
	}
	// step ticks the clock, checks whether that made a frame due (the
	// fleet waiting handed over) and held the tick's own, then builds the
	// frame.
	step := func(what string, wantDue, wantHold bool) {
		t.Helper()
		ss.ticked(p, tick)
		if due() != wantDue || ss.frames.hold != wantHold {
			t.Errorf("%s: want due %v, held %v; frames %+v", what, wantDue, wantHold, ss.frames)
		}
		_ = p.View()
	}

	// In use, a fleet waiting: handed over, the tick not drawn.
	ss.mail <- ui.FleetMsg{Fleet: &model.Fleet{Gen: 1}}
	ss.ticked(p, tick)
	if !due() || !ss.frames.hold || p.View().Content != first.Content || ss.frames.hold {
		t.Errorf("in use with a fleet waiting: due, hold once, repeat the frame; frames %+v", ss.frames)
	}
	<-ss.mail
	ss.ticked(p, ui.FleetMsg{Fleet: &model.Fleet{Gen: 1}})

	// In use, nothing waiting: the tick is drawn (the ages move).
	step("in use, no fleet", false, false)

	// Idle, the last fleet just in: not due, not drawn.
	ss.in.lastNS.Store(time.Now().Add(-2 * idleAfter).UnixNano())
	ss.mail <- ui.FleetMsg{Fleet: &model.Fleet{Gen: 2}}
	step("idle, fleet just in", false, true)

	// Idle, the last fleet idleFrameEvery ago: due.
	ss.frames.fleet = time.Now().Add(-idleFrameEvery)
	step("idle, the last fleet idleFrameEvery ago", true, true)
	<-ss.mail
	ss.ticked(p, ui.FleetMsg{Fleet: &model.Fleet{Gen: 2}})

	// Idle, and the next fleet brings news (a backend went down): due
	// idleNewsEvery after the last, not idleFrameEvery; the same events
	// again are no news.
	h := model.NewStore(time.Now).History()
	h.Add(model.Event{Time: time.Now(), Type: model.EventBackend, Pool: "web", Backend: "c1", From: "healthy", To: "unhealthy"})
	news := ui.FleetMsg{Fleet: &model.Fleet{Gen: 3}, History: h.View(time.Now(), 12)}
	ss.news.Store(true) // left by a fleet taken without a due tick: nothing waits, so no news
	step("idle, news flag but no fleet waiting", false, true)
	ss.deliver(news)
	step("idle, news waiting, the last fleet just in", false, true)
	ss.frames.fleet = time.Now().Add(-idleNewsEvery)
	step("idle, news waiting, the last fleet idleNewsEvery ago", true, true)
	<-ss.mail
	ss.ticked(p, news)
	ss.deliver(ui.FleetMsg{Fleet: &model.Fleet{Gen: 4}, History: news.History})
	step("idle, the same events again", false, true)
}
