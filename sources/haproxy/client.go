// Package haproxy reads and acts on HAProxy through its runtime API (the
// "stats socket", unix or TCP): `show stat` for every backend and server,
// and `set server <backend>/<server> state|weight` for actions, which need
// a socket at "level admin".
//
// client.go is the transport, parse.go the pure CSV reader and map.go the
// translation to model.
package haproxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// Source is one HAProxy instance reached through its runtime API. It is
// safe for concurrent use: every command uses its own connection.
type Source struct {
	name    string
	addr    string
	network string // "unix" or "tcp"

	// MaxResponseBytes caps one reply of the runtime API; a longer one
	// fails the poll. Zero means sources.DefaultMaxResponseBytes. Set it
	// before the first Poll.
	MaxResponseBytes int64
}

// maxLineBytes caps one line of a reply. A `show stat` row of a recent
// HAProxy is about 1 KiB; a megabyte-long line is not HAProxy talking, and
// bounding it keeps the line reader from growing one string to the whole
// byte limit.
const maxLineBytes = 1 << 20

// New returns a source named name for the runtime API at addr: a unix
// socket path (starting with '/' or '.', or ending in ".sock") or a TCP
// host:port.
func New(name, addr string) *Source {
	network := "tcp"
	if strings.HasPrefix(addr, "/") || strings.HasPrefix(addr, ".") || strings.HasSuffix(addr, ".sock") {
		network = "unix"
	}
	return &Source{name: name, addr: addr, network: network}
}

// Name returns the source's name.
func (s *Source) Name() string { return s.name }

// Kind returns model.KindHAProxy.
func (s *Source) Kind() model.Kind { return model.KindHAProxy }

// Addr returns the runtime API address the source talks to.
func (s *Source) Addr() string { return s.addr }

// Network returns "unix" or "tcp", as inferred from the address.
func (s *Source) Network() string { return s.network }

// Poll reads `show stat` and returns every HAProxy backend as a pool.
func (s *Source) Poll(ctx context.Context) (model.Snapshot, error) {
	const cmd = "show stat"
	var pools []model.Pool
	err := s.exchange(ctx, cmd, func(r io.Reader) error {
		tail := &tailReader{r: r}
		br := bufio.NewReaderSize(tail, 64<<10)
		if err := checkStatHeader(br); err != nil {
			return err
		}
		var perr error
		pools, perr = ParsePools(br, time.Now())
		if perr != nil && !errors.Is(perr, ErrNotStat) {
			// A cut connection shows up as a malformed last row: read
			// what is left (bounded by ctx) to tell which it was.
			_, _ = io.Copy(io.Discard, br)
		}
		// HAProxy ends a complete dump with an empty line; without it the
		// connection was cut and rows may be missing.
		switch {
		case errors.Is(perr, ErrNotStat), errors.Is(perr, errLongLine), sources.IsTooLarge(perr):
			return perr
		case !tail.endsWithBlankLine() && perr != nil:
			return fmt.Errorf("reply truncated: %w", perr)
		case !tail.endsWithBlankLine():
			return errors.New("reply truncated: no terminating empty line")
		}
		return perr
	})
	if err != nil {
		return model.Snapshot{}, err
	}
	s.fillAdmin(ctx, pools)
	return model.Snapshot{Pools: pools}, nil
}

// fillAdmin completes Backend.Admin where the status column cannot tell
// (a DOWN server may be drained or not) from `show servers state`. It
// costs one more exchange only when such a server exists. A failure
// leaves Admin unknown rather than failing the poll: health is still
// right, only the verification of an action falls back to it.
func (s *Source) fillAdmin(ctx context.Context, pools []model.Pool) {
	need := false
	for i := range pools {
		for j := range pools[i].Backends {
			if pools[i].Backends[j].Admin == model.AdminUnknown {
				need = true
			}
		}
	}
	if !need {
		return
	}
	var states map[string]model.AdminState
	if err := s.exchange(ctx, "show servers state", func(r io.Reader) error {
		var perr error
		states, perr = ParseAdminStates(r)
		return perr
	}); err != nil {
		return
	}
	for i := range pools {
		for j := range pools[i].Backends {
			b := &pools[i].Backends[j]
			if b.Admin == model.AdminUnknown {
				b.Admin = states[pools[i].Name+"/"+b.Name]
			}
		}
	}
}

// SetState drains, readies or puts a server in maintenance with
// `set server <backend>/<server> state drain|ready|maint`.
func (s *Source) SetState(ctx context.Context, ref model.BackendRef, action model.ActionKind) error {
	var word string
	switch action {
	case model.ActionDrain:
		word = "drain"
	case model.ActionReady:
		word = "ready"
	case model.ActionMaint:
		word = "maint"
	default:
		return fmt.Errorf("haproxy %s: cannot set state %q on %s/%s: only drain, ready and maint are states", s.addr, action, ref.Pool, ref.Backend)
	}
	target, err := serverRef(ref)
	if err != nil {
		return fmt.Errorf("haproxy %s: %w", s.addr, err)
	}
	return s.set(ctx, "set server "+target+" state "+word)
}

// SetWeight sets a server's weight with `set server <backend>/<server>
// weight N`. The value is passed through unchecked so HAProxy's own
// message explains a refusal; sources.Do checks WeightRange first.
func (s *Source) SetWeight(ctx context.Context, ref model.BackendRef, weight int) error {
	target, err := serverRef(ref)
	if err != nil {
		return fmt.Errorf("haproxy %s: %w", s.addr, err)
	}
	return s.set(ctx, "set server "+target+" weight "+strconv.Itoa(weight))
}

// WeightRange is HAProxy's range of absolute weights, 0 to 256.
func (s *Source) WeightRange() (lo, hi int) { return 0, 256 }

// set sends a command that prints nothing on success. Any text in the
// reply is HAProxy refusing it ("No such server.", "Absolute weight can
// only be between 0 and 256 inclusive.", "Permission denied").
func (s *Source) set(ctx context.Context, cmd string) error {
	var reply []byte
	err := s.exchange(ctx, cmd, func(r io.Reader) error {
		var rerr error
		reply, rerr = io.ReadAll(io.LimitReader(r, 64<<10))
		return rerr
	})
	if err != nil {
		return err
	}
	if msg := sources.Snippet(reply); msg != "" {
		return fmt.Errorf("haproxy %s: %s: %s", s.addr, cmd, msg)
	}
	return nil
}

// exchange sends one command on a new connection (HAProxy's
// non-interactive mode: it answers, then closes) and hands the reply to
// read. ctx's deadline applies to the whole exchange and cancelling ctx
// aborts it. Errors name the address and the command.
func (s *Source) exchange(ctx context.Context, cmd string, read func(io.Reader) error) (err error) {
	defer func() {
		if err == nil {
			return
		}
		if cerr := ctxErr(ctx, err); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		err = fmt.Errorf("haproxy %s: %s: %w", s.addr, cmd, err)
	}()
	var d net.Dialer
	conn, err := d.DialContext(ctx, s.network, s.addr)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return err
		}
	}
	// Cancellation without a deadline: expire the connection at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return err
	}
	limit := sources.LimitOr(s.MaxResponseBytes)
	return read(&lineLimiter{r: conn, max: int(min(maxLineBytes, limit)), limit: limit})
}

// checkStatHeader fails fast, quoting at most sources.MaxSnippet bytes,
// when a reply does not start like `show stat` CSV ("# pxname,…"):
// "Permission denied.", "Unknown command", or not HAProxy at all. Only the
// reader's buffer is looked at, however long the first line is.
func checkStatHeader(br *bufio.Reader) error {
	head, err := br.Peek(2)
	if len(head) < 2 || string(head) == "# " {
		if len(head) == 0 && err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		return nil // empty, or a header: the parser says which
	}
	first, _ := br.Peek(min(br.Buffered(), 4*sources.MaxSnippet))
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	return fmt.Errorf("%w: %q", ErrNotStat, sources.Snippet(first))
}

// errLongLine starts the error of a line over the line limit.
var errLongLine = errors.New("a line longer")

// minLineCost is what a line counts toward the byte limit at least. Each
// `show stat` row becomes a model.Backend of about 200 bytes plus its
// strings, so a reply of many tiny rows would cost lbtop far more memory
// than its size; real rows are 300 bytes (1.x) to over 1 KiB (2.6+).
const minLineCost = 512

// lineLimiter fails a reply as soon as one line of it passes max bytes,
// or the reply passes limit bytes, each line counting at least
// minLineCost.
type lineLimiter struct {
	r       io.Reader
	max     int
	limit   int64
	line    int   // bytes since the last newline
	charged int64 // bytes counted toward limit
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	rest := p[:n]
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			l.line += len(rest)
			break
		}
		l.line += i + 1
		if l.line > l.max+1 {
			return n, fmt.Errorf("%w than %s: not runtime API output", errLongLine, sources.FormatBytes(int64(l.max)))
		}
		l.charged += int64(max(l.line, minLineCost))
		l.line, rest = 0, rest[i+1:]
	}
	switch {
	case l.line > l.max:
		return n, fmt.Errorf("%w than %s: not runtime API output", errLongLine, sources.FormatBytes(int64(l.max)))
	case l.charged+int64(l.line) > l.limit:
		return n, &sources.TooLargeError{Limit: l.limit}
	}
	return n, err
}

// ctxErr returns the context's error when it caused err: ctx is done, or
// its deadline has passed and err is the connection's matching timeout
// (which can fire a moment before ctx's own timer).
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	var ne net.Error
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) && errors.As(err, &ne) && ne.Timeout() {
		return context.DeadlineExceeded
	}
	return nil
}

// serverRef validates and renders "backend/server". Names reach a text
// protocol where whitespace, ';' and newlines separate commands, so a
// name carrying them could run a second command: refuse before sending.
func serverRef(ref model.BackendRef) (string, error) {
	for _, f := range [...]struct{ what, v string }{{"backend", ref.Pool}, {"server", ref.Backend}} {
		if f.v == "" {
			return "", fmt.Errorf("%s name is empty", f.what)
		}
		if i := strings.IndexFunc(f.v, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsControl(r) || r == ';' || r == '/'
		}); i >= 0 {
			return "", fmt.Errorf("refusing %s name %q: it contains %q, which the runtime API would treat as a separator", f.what, f.v, []rune(f.v[i:])[0])
		}
	}
	return ref.Pool + "/" + ref.Backend, nil
}

// tailReader remembers the last two bytes read, to tell a complete
// `show stat` dump (ending in an empty line) from a cut one.
type tailReader struct {
	r    io.Reader
	last [2]byte
	n    int
}

func (t *tailReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	switch {
	case n >= 2:
		t.last = [2]byte{p[n-2], p[n-1]}
	case n == 1:
		t.last = [2]byte{t.last[1], p[0]}
	}
	t.n += n
	return n, err
}

func (t *tailReader) endsWithBlankLine() bool { return t.n >= 2 && t.last == [2]byte{'\n', '\n'} }
