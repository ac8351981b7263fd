package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/bubbletea"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/ui"
)

// Limits of one session's input.
const (
	inputPerSecond = 64 << 10 // bytes a session may type or paste per second
	maxInputRead   = 4 << 10  // bytes handed to the program per read
	onceWait       = 30 * time.Second
	// serveFPS is the rate of Bubble Tea's render loop in a session. The
	// painter draws the frames (serve_paint.go); the loop only flushes
	// what Bubble Tea itself queues, so it wakes once a second, not ten
	// times: an idle session's wake-ups were most of its cost.
	serveFPS = 1
)

// serveCommands is what `ssh HOST COMMAND` may run.
const serveCommands = "once [-o table|json], why [POOL], help"

// session is one dashboard: its identity, its program and a one-slot
// mailbox holding the newest fleet it has not taken yet.
type session struct {
	id     identity
	runner *actions.Runner // nil for viewers
	p      *tea.Program
	mail   chan ui.FleetMsg
	msgs   chan tea.Msg  // notices; dropped when full
	tick   chan struct{} // the program's clock ticked and a frame is due (one slot)
	news   atomic.Bool   // the fleet waiting has events the screen has not shown
	newest time.Time     // the newest event delivered (the engine's, under server.mu)
	frames frames        // the program's frame pacing, see serve_frames.go
	in     *input
	mu     sync.Mutex
	why    string // why the server ended it, said after the screen is restored
}

// deliver replaces whatever fleet is waiting with msg, noting whether it
// brings news (an event newer than any delivered before: see
// serve_frames.go). Only the engine calls it (under server.mu), so it
// never blocks.
func (ss *session) deliver(msg ui.FleetMsg) {
	if evs := msg.History.Events(); len(evs) > 0 && evs[len(evs)-1].Time.After(ss.newest) {
		ss.newest = evs[len(evs)-1].Time
		ss.news.Store(true)
	}
	select {
	case <-ss.mail:
	default:
	}
	select {
	case ss.mail <- msg:
	default:
	}
}

// tell queues a notice; when the session is not reading and its queue
// is full the oldest goes. Callers hold server.mu, so one at a time.
func (ss *session) tell(msg tea.Msg) {
	for {
		select {
		case ss.msgs <- msg:
			return
		default:
		}
		select {
		case <-ss.msgs:
		default:
		}
	}
}

// end quits the program, saying why once the terminal is restored.
func (ss *session) end(why string) {
	ss.mu.Lock()
	ss.why = why
	ss.mu.Unlock()
	if ss.p != nil {
		ss.p.Quit()
	}
}

func (ss *session) reason() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.why
}

// handle serves one SSH session: a command, or the dashboard.
func (s *server) handle(sess ssh.Session) {
	id, ok := s.identify(sess.PublicKey())
	if !ok {
		wish.Fatalln(sess, "lbtop serve: this key is no longer authorized")
		return
	}
	if host, _, err := net.SplitHostPort(sess.RemoteAddr().String()); err == nil {
		id.addr = host
	}
	if n := s.active.Add(1); int(n) > s.so.maxSessions {
		s.active.Add(-1)
		wish.Fatalf(sess, "lbtop serve: too many sessions (at most %d); try again later\n", s.so.maxSessions)
		return
	}
	defer s.active.Add(-1)
	if s.stopping.Load() {
		wish.Fatalln(sess, "lbtop serve: the server is shutting down")
		return
	}
	if cmd := sess.Command(); len(cmd) > 0 {
		_ = sess.Exit(s.command(sess, cmd))
		return
	}
	if _, _, ok := sess.Pty(); !ok {
		wish.Fatalln(sess, "lbtop serve: the dashboard needs a terminal (ssh -t); without one run a command: "+serveCommands)
		return
	}
	s.dashboard(sess, id)
}

// command runs `ssh HOST once -o json` and friends; it returns the exit
// status.
func (s *server) command(sess ssh.Session, args []string) int {
	switch args[0] {
	case "help":
		fmt.Fprintln(sess, "commands: "+serveCommands+"\nwithout a command: the dashboard (needs a terminal)")
		return exitOK
	case "once":
		return s.once(sess, args[1:])
	case whyVerb:
		return s.why(sess, args[1:])
	}
	fmt.Fprintf(sess.Stderr(), "lbtop serve: command %q is not offered; commands: %s\n", args[0], serveCommands)
	return exitError
}

// once is `lbtop --once` on the shared fleet: the same output and exit
// status.
func (s *server) once(sess ssh.Session, args []string) int {
	fs := flag.NewFlagSet("once", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // one line of our own, not the flag package's usage
	format := fs.String("o", "table", "output: table or json")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(sess, "commands: "+serveCommands)
		return exitOK
	case err != nil:
		why := strings.TrimSuffix(flagError(fs, err).Error(), " (see lbtop -h)") // the client has no lbtop
		fmt.Fprintf(sess.Stderr(), "lbtop serve: once: %s (commands: %s)\n", why, serveCommands)
		return exitError
	case *format != "table" && *format != "json":
		fmt.Fprintf(sess.Stderr(), "lbtop serve: once: -o %q: want table or json\n", *format)
		return exitError
	case fs.NArg() > 0:
		fmt.Fprintf(sess.Stderr(), "lbtop serve: once: unexpected argument %q (commands: %s)\n", fs.Arg(0), serveCommands)
		return exitError
	}
	f, ok := s.fleetFor(sess)
	if !ok {
		return exitError
	}
	if err := writeOnce(sess, f, *format); err != nil {
		fmt.Fprintln(sess.Stderr(), "lbtop serve:", err)
		return exitError
	}
	return onceExit(f, false)
}

// why is `lbtop why [POOL]` on the shared fleet: the same output and
// exit status.
func (s *server) why(sess ssh.Session, args []string) int {
	if len(args) > 1 {
		fmt.Fprintf(sess.Stderr(), "lbtop serve: usage: why [POOL] (got %d arguments: %s)\n", len(args), strings.Join(args, " "))
		return exitError
	}
	pool := ""
	if len(args) == 1 {
		pool = args[0]
	}
	f, ok := s.fleetFor(sess)
	if !ok {
		return exitError
	}
	return explain(sess, sess.Stderr(), f, pool, actions.LastBy(s.auditEntries()), time.Now())
}

// fleetFor waits until every source has been read once (or onceWait)
// and returns the latest fleet, telling the client which sources fail,
// as `lbtop --once` does; false when the client went away meanwhile.
func (s *server) fleetFor(sess ssh.Session) (*model.Fleet, bool) {
	select {
	case <-s.ready:
	case <-sess.Context().Done():
		return nil, false
	case <-time.After(onceWait):
		fmt.Fprintln(sess.Stderr(), "lbtop serve: not every source has been read yet; showing what is known")
	}
	f := s.latest.Load().Fleet
	for _, src := range f.Sources {
		if !src.OK && src.Err != "" {
			fmt.Fprintf(sess.Stderr(), "lbtop: %s: %s\n", src.Name, src.Err)
		}
	}
	return f, true
}

// dashboard runs one Bubble Tea program on the session's terminal, fed
// by the shared engine.
func (s *server) dashboard(sess ssh.Session, id identity) {
	ss := &session{id: id, mail: make(chan ui.FleetMsg, 1), msgs: make(chan tea.Msg, 8),
		tick: make(chan struct{}, 1), in: newInput(sess)}
	// No Options.Context: a session's actions outlive its connection (one
	// that drops mid-action is still verified and audited), so they are
	// not cancelled with the session.
	opts := ui.Options{
		ReadOnly: s.readOnly || id.role != roleOperator, Floor: s.floor,
		User: id.name, Identity: id.label(), Audit: s.auditEntries(),
	}
	for _, kv := range sess.Environ() {
		if v, ok := strings.CutPrefix(kv, "NO_COLOR="); ok && v != "" {
			opts.NoColor = true
		}
	}
	if !opts.ReadOnly {
		ss.runner = s.runnerFor(id)
		opts.Executor = sharedExecutor{s: s, ss: ss}
	}
	done := make(chan struct{})
	mw := bubbletea.MiddlewareWithProgramHandler(func(sess ssh.Session) *tea.Program {
		// The painter is the terminal's one writer: Bubble Tea's output
		// (nothing, with its renderer off) goes nowhere.
		ss.program(ui.New(s.hub, opts), sess, append(bubbletea.MakeOptions(sess), tea.WithOutput(io.Discard))...)
		s.join(ss)
		go ss.forward(done)
		go s.watchIdle(ss, done)
		return ss.p
	})
	// The program has ended: the painter gives the terminal back (a client
	// that stopped reading gets a second) before the reason is printed.
	mw(func(ssh.Session) { ss.frames.paint.stop(time.Second) })(sess)
	close(done)
	s.leave(ss)
	if why := ss.reason(); why != "" {
		wish.Println(sess, why)
	}
}

// watchIdle ends the session when nobody has typed for --idle-timeout.
func (s *server) watchIdle(ss *session, done <-chan struct{}) {
	every := min(max(s.so.idleTimeout/4, 10*time.Millisecond), 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if time.Since(ss.in.last()) >= s.so.idleTimeout {
				ss.end("lbtop serve: closed after " + s.so.idleTimeout.String() + " without input")
				return
			}
		}
	}
}

// input is a session's keyboard: reads are bounded in size and rate (a
// huge paste costs its own session time, nobody else's), and the time of
// the last one is kept for the idle timeout.
type input struct {
	r      io.Reader
	lastNS atomic.Int64
	window time.Time
	used   int
}

func newInput(r io.Reader) *input {
	in := &input{r: r}
	in.lastNS.Store(time.Now().UnixNano())
	return in
}

// Read reads at most maxInputRead bytes, waiting when the session has
// sent inputPerSecond already this second. One goroutine reads.
func (in *input) Read(p []byte) (int, error) {
	if len(p) > maxInputRead {
		p = p[:maxInputRead]
	}
	now := time.Now()
	if now.Sub(in.window) >= time.Second {
		in.window, in.used = now, 0
	}
	if in.used >= inputPerSecond {
		time.Sleep(time.Until(in.window.Add(time.Second)))
		in.window, in.used = time.Now(), 0
	}
	n, err := in.r.Read(p)
	in.used += n
	if n > 0 {
		in.lastNS.Store(time.Now().UnixNano())
	}
	return n, err
}

func (in *input) last() time.Time { return time.Unix(0, in.lastNS.Load()) }

// watching is the presence line: "3 watching: ana, bob, cy".
func watching(names []string) string {
	const show = 8
	s := strconv.Itoa(len(names)) + " watching"
	if len(names) == 0 {
		return s
	}
	more := ""
	if len(names) > show {
		more = ", +" + strconv.Itoa(len(names)-show)
		names = names[:show]
	}
	return s + ": " + strings.Join(names, ", ") + more
}
