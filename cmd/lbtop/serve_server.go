package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/config"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/ui"
)

// server is `lbtop serve`: one Hub and one Store (the engine goroutine)
// for every SSH session, each session its own Bubble Tea program.
type server struct {
	so       *serveOpts
	floor    float64
	readOnly bool // --read-only or config: nobody acts, operators included
	log      *slog.Logger
	hub      *sources.Hub
	store    *model.Store
	nsrc     int

	// proto is the runner every operator's runner copies (writes through
	// the hub, verifying polls, the one audit log); nil when read-only.
	proto     *actions.Runner
	closeLog  func()
	hostFP    string
	ssh       *ssh.Server
	ln        net.Listener
	ctx       context.Context // the server's: actions run under it, not a session's
	latest    atomic.Pointer[ui.FleetMsg]
	pubMu     sync.Mutex
	pub       chan struct{} // under pubMu: closed by the next publish
	ready     chan struct{} // closed once every source has been read once
	acted     chan struct{} // an action ended: re-read who took what out (one slot)
	active    atomic.Int32  // sessions being served, of any kind
	stopping  atomic.Bool
	mu        sync.Mutex
	sessions  map[*session]struct{}
	runners   []*actions.Runner
	keysMu    sync.Mutex
	keysCache map[string]identity
	shared    []ui.PeerActionMsg // under mu: every session's actions for one joining later (share)
}

// newServer opens the audit log (unless read-only), loads the host key
// and checks the keys files, so a mistake is reported before listening.
func newServer(ctx context.Context, o *options, so *serveOpts, cfg *config.Config, entries []sources.Entry, getenv func(string) string, log *slog.Logger) (*server, error) {
	hub, err := sources.NewHub(entries)
	if err != nil {
		return nil, err
	}
	if _, err := so.keyring(); err != nil {
		return nil, err
	}
	signer, err := hostSigner(so.hostKey, so.from["host-key"])
	if err != nil {
		return nil, err
	}
	s := &server{
		so: so, floor: o.floor, readOnly: cfg.ReadOnly, log: log, hub: hub,
		store: newStore(entries), nsrc: len(entries), hostFP: gossh.FingerprintSHA256(signer.PublicKey()),
		ctx: ctx, ready: make(chan struct{}), acted: make(chan struct{}, 1), sessions: map[*session]struct{}{}, closeLog: func() {},
	}
	if !s.readOnly {
		r, closeLog, err := newRunner(o, getenv, hub)
		if err != nil {
			return nil, err
		}
		s.proto, s.closeLog = r, closeLog
		s.store.SetAdminNotes(s.adminNotes()) // before the engine runs
	}
	srv, err := wish.NewServer(
		// The host key first: without one wish.NewServer writes a new
		// key to ./id_ed25519.
		func(srv *ssh.Server) error { srv.AddHostKey(signer); return nil },
		wish.WithPublicKeyAuth(func(_ ssh.Context, key ssh.PublicKey) bool {
			_, ok := s.identify(key)
			return ok
		}),
		wish.WithVersion("lbtop"),
	)
	if err != nil {
		return nil, err
	}
	srv.HandshakeTimeout = 30 * time.Second
	srv.Handle(s.handle)
	s.ssh = srv
	return s, nil
}

// identify maps a client key to its identity, reading the keys files
// afresh so a removed key is refused without a restart; when a file has
// become unreadable the last good reading stands.
func (s *server) identify(key ssh.PublicKey) (identity, bool) {
	if key == nil {
		return identity{}, false
	}
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	keys, err := s.so.keyring()
	if err != nil {
		s.log.Warn("keys files", logErr, err)
		keys = s.keysCache
	} else {
		s.keysCache = keys
	}
	id, ok := keys[string(key.Marshal())]
	return id, ok
}

// listen binds --listen.
func (s *server) listen() error {
	ln, err := net.Listen("tcp", s.so.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	s.ln = ln
	return nil
}

// addr is the address listened on (the real port for :0).
func (s *server) addr() string { return s.ln.Addr().String() }

// run polls, serves SSH until ctx ends, then tells every session, closes
// them (their programs restore the terminals) and stops.
func (s *server) run(ctx context.Context) error {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.engine(s.hub.Run(pctx))
	errc := make(chan error, 1)
	go func() { errc <- s.ssh.Serve(s.ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, ssh.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	s.stopping.Store(true)
	s.mu.Lock()
	for ss := range s.sessions {
		ss.end("lbtop serve: the server is shutting down; bye")
	}
	s.mu.Unlock()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := s.ssh.Shutdown(sctx); err != nil {
		_ = s.ssh.Close()
	}
	return nil
}

// abandon writes an "abandoned" line for every action still running.
func (s *server) abandon() []actions.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []actions.Result
	for _, r := range s.runners {
		out = append(out, r.Abandon()...)
	}
	return out
}

// close releases the audit log.
func (s *server) close() { s.closeLog() }

// engine owns the Store: it merges each snapshot and fans the new
// immutable fleet out to every session without ever waiting for one.
// After an action it re-reads the audit log, so the diagnosis names who
// took a backend out ("drained by ana"), as lbtop why does.
func (s *server) engine(snaps <-chan model.Snapshot) {
	s.publish(ui.FleetMsg{Fleet: s.store.Fleet()})
	feed := newFleetFeed(s.store, s.log, nil, nil)
	read := map[string]bool{}
	for {
		select {
		case <-s.acted:
			s.store.SetAdminNotes(s.adminNotes())
			continue
		case snap, ok := <-snaps:
			if !ok {
				return
			}
			s.publish(feed.next(snap))
			if len(read) < s.nsrc {
				read[snap.Source] = true
				if len(read) == s.nsrc {
					close(s.ready)
				}
			}
		}
	}
}

// adminNotes is what the audit log says of who took which backend out.
func (s *server) adminNotes() map[model.BackendRef]model.AdminNote {
	return actions.AdminNotes(actions.LastBy(s.auditEntries()))
}

// publish makes msg the latest fleet and hands it to every session's
// one-slot mailbox.
func (s *server) publish(msg ui.FleetMsg) {
	s.latest.Store(&msg)
	s.mu.Lock()
	for ss := range s.sessions {
		ss.deliver(msg)
	}
	s.mu.Unlock()
	s.pubMu.Lock()
	if s.pub != nil {
		close(s.pub)
		s.pub = nil
	}
	s.pubMu.Unlock()
}

// outcomeWait bounds how long an action's outcome waits for the fleet
// that shows it (awaitFleet).
const outcomeWait = time.Second

// awaitFleet waits, at most outcomeWait, until the fleet published holds
// a poll of source that started after sent, as the poll that verified
// an action did: the outcome then reaches the sessions behind the fleet
// that shows it, and no row reads "confirmed" beside the state before.
func (s *server) awaitFleet(source string, sent time.Time) {
	timeout := time.NewTimer(outcomeWait)
	defer timeout.Stop()
	for {
		s.pubMu.Lock()
		if s.pub == nil {
			s.pub = make(chan struct{})
		}
		next := s.pub
		s.pubMu.Unlock()
		if m := s.latest.Load(); m != nil && polledSince(m.Fleet, source, sent) {
			return
		}
		select {
		case <-next:
		case <-timeout.C:
			return
		}
	}
}

// polledSince reports whether f holds a poll of source that started
// after t.
func polledSince(f *model.Fleet, source string, t time.Time) bool {
	if f == nil {
		return false
	}
	for _, st := range f.Sources {
		if st.Name == source {
			return st.Polled && !st.LastPoll.Add(-st.Took).Before(t)
		}
	}
	return false
}

// join registers a dashboard session and tells the others.
func (s *server) join(ss *session) {
	s.mu.Lock()
	s.sessions[ss] = struct{}{}
	if ss.runner != nil {
		s.runners = append(s.runners, ss.runner)
	}
	if m := s.latest.Load(); m != nil {
		ss.deliver(*m)
	}
	if len(s.shared) > 0 {
		ss.tell(ui.PeerHistoryMsg{Actions: slices.Clone(s.shared)})
	}
	s.mu.Unlock()
	s.presence(ss, ss.id.name+" joined")
}

// leave unregisters a session and tells the others. Its runner stays
// listed: its actions go on and are audited after it has gone.
func (s *server) leave(ss *session) {
	s.mu.Lock()
	delete(s.sessions, ss)
	s.mu.Unlock()
	s.presence(ss, ss.id.name+" left")
}

// presence updates every session's header with who watches and tells
// every session but from what happened: "bob joined · 3 watching: ana,
// bob, cy".
func (s *server) presence(from *session, what string) {
	s.mu.Lock()
	names := make([]string, 0, len(s.sessions))
	for ss := range s.sessions {
		names = append(names, ss.id.name)
	}
	slices.Sort(names)
	who := watching(names)
	for ss := range s.sessions {
		ss.tell(ui.PresenceMsg{Text: who})
	}
	s.mu.Unlock()
	s.tellOthers(from, ui.StatusMsg{Level: ui.StatusInfo, Text: what + " · " + who})
}

// tellOthers hands msg to every session but from (nil: all). A session
// not reading gets it when it reads again: the send never holds the
// caller.
func (s *server) tellOthers(from *session, msg tea.Msg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tellOthersLocked(from, msg)
}

// tellOthersLocked is tellOthers for a caller holding s.mu.
func (s *server) tellOthersLocked(from *session, msg tea.Msg) {
	for ss := range s.sessions {
		if ss != from {
			ss.tell(msg)
		}
	}
}

// sharedExecutor runs a session's actions with its own identity and
// tells everyone else: the row shows it pending while it runs, then its
// outcome goes to their notices and actions lists (ui.PeerActionMsg).
type sharedExecutor struct {
	s  *server
	ss *session
}

// Run performs req through the session's runner. The UI runs it under
// its own background context, so a session that disconnects does not
// cancel the action: it completes, is verified and audited.
func (e sharedExecutor) Run(ctx context.Context, req actions.Request) actions.Result {
	e.s.share(e.ss, ui.PeerActionMsg{User: e.ss.id.name, Action: req.Action})
	res := e.ss.runner.Run(ctx, req)
	select {
	case e.s.acted <- struct{}{}:
	default:
	}
	if res.Done() {
		e.s.awaitFleet(req.Action.Ref.Source, res.SentAt)
	}
	e.s.share(e.ss, ui.PeerActionMsg{User: e.ss.id.name, Action: req.Action, Result: &res})
	return res
}

// share keeps an action that starts (Result nil) or ends for the
// sessions that join later and tells every session but from, under one
// lock: a session joining meanwhile hears of it either way, never twice.
func (s *server) share(from *session, msg ui.PeerActionMsg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shared = sharedActions(s.shared, msg)
	s.tellOthersLocked(from, msg)
}

// sharedActions returns kept with msg applied: an end replaces its start
// (same user and backend), and of the ended actions the newest
// ui.MaxPeerResults stay. kept is not changed: sessions hold copies.
func sharedActions(kept []ui.PeerActionMsg, msg ui.PeerActionMsg) []ui.PeerActionMsg {
	out := make([]ui.PeerActionMsg, 0, len(kept)+1)
	ended := 0
	for _, k := range kept {
		if msg.Result != nil && k.Result == nil && k.User == msg.User && k.Action.Ref == msg.Action.Ref {
			continue
		}
		if k.Result != nil {
			ended++
		}
		out = append(out, k)
	}
	out = append(out, msg)
	drop := ended + 1 - ui.MaxPeerResults // the oldest ended ones over the bound
	if msg.Result == nil || drop <= 0 {
		return out
	}
	return slices.DeleteFunc(out, func(k ui.PeerActionMsg) bool {
		if k.Result != nil && drop > 0 {
			drop--
			return true
		}
		return false
	})
}

// runnerFor is a runner for one operator: the shared write path and
// audit log, with the SSH identity as the user.
func (s *server) runnerFor(id identity) *actions.Runner {
	return &actions.Runner{
		Do: s.proto.Do, Poll: s.proto.Poll, Log: s.proto.Log, Host: s.proto.Host,
		User: actions.Who{Login: id.name, SSHClient: id.addr, KeyFingerprint: id.fp},
	}
}

// auditEntries reads the audit log's recent lines for the "drained by"
// notes, or nothing when there is no log.
func (s *server) auditEntries() []actions.Entry {
	if s.proto == nil || s.proto.Log == nil {
		return nil
	}
	es, bad, err := actions.ReadEntries(s.proto.Log.Path(), auditHistory)
	if err != nil || bad > 0 {
		s.log.Warn("audit log read", logErr, err, logBadLines, bad)
	}
	return es
}
