package demo

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
	"sync"
	"time"
)

// haproxyVersion is what `show info` and `show version` report.
const haproxyVersion = "2.6.12-lbtop-demo"

// connDeadline bounds one CLI exchange, so a client that connects and
// says nothing cannot hold a goroutine forever.
const connDeadline = 10 * time.Second

// maxLine is the longest command line accepted, like HAProxy's buffer.
const maxLine = 16 << 10

// haproxyServer emulates HAProxy's runtime API (the `stats socket` CLI)
// in non-interactive mode: one line of commands per connection, the
// answers, then the connection is closed.
type haproxyServer struct {
	sim *sim
	ln  net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func newHAProxyServer(s *sim, ln net.Listener) *haproxyServer {
	return &haproxyServer{sim: s, ln: ln, conns: map[net.Conn]struct{}{}}
}

func (h *haproxyServer) serve(ctx context.Context) {
	defer h.wg.Wait()
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return // listener closed
		}
		if !h.track(c) {
			_ = c.Close()
			return
		}
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer h.untrack(c)
			h.handle(ctx, c)
		}()
	}
}

func (h *haproxyServer) track(c net.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	return true
}

func (h *haproxyServer) untrack(c net.Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	_ = c.Close()
}

// close stops accepting and aborts every open exchange.
func (h *haproxyServer) close() error {
	h.mu.Lock()
	h.closed = true
	for c := range h.conns {
		_ = c.Close()
	}
	h.mu.Unlock()
	if err := h.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("demo: close HAProxy runtime API listener %s: %w", h.ln.Addr(), err)
	}
	return nil
}

func (h *haproxyServer) handle(ctx context.Context, c net.Conn) {
	deadline := time.Now().Add(connDeadline)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.SetDeadline(deadline)
	line, err := bufio.NewReaderSize(c, maxLine).ReadSlice('\n')
	// A last line without a newline (the client shut down its write side)
	// is still executed; an oversized line or a timeout is dropped.
	if err != nil && (len(line) == 0 || !errors.Is(err, io.EOF)) {
		return
	}
	var out bytes.Buffer
	h.exec(&out, strings.TrimRight(string(line), "\r\n"))
	_, _ = c.Write(out.Bytes())
}

// exec runs one command line: commands separated by unescaped ';' are
// answered in order, each answer followed by an empty line.
func (h *haproxyServer) exec(out *bytes.Buffer, line string) {
	for _, cmd := range splitCommands(line) {
		h.sim.mu.Lock()
		h.run(out, cmd)
		h.sim.mu.Unlock()
		out.WriteByte('\n')
	}
}

// splitCommands splits a CLI line into commands and each command into
// words, honouring backslash escapes as HAProxy does.
func splitCommands(line string) [][]string {
	var cmds [][]string
	var words []string
	var word strings.Builder
	inWord := false
	flushWord := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '\\' && i+1 < len(line):
			i++
			word.WriteByte(line[i])
			inWord = true
		case ch == ';':
			flushWord()
			cmds = append(cmds, words)
			words = nil
		case ch == ' ' || ch == '\t':
			flushWord()
		default:
			word.WriteByte(ch)
			inWord = true
		}
	}
	flushWord()
	return append(cmds, words)
}

// run executes one command with the simulation locked.
func (h *haproxyServer) run(out *bytes.Buffer, w []string) {
	st, now := h.sim.ha, h.sim.now()
	arg := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	switch {
	case arg(0) == "show" && arg(1) == "stat":
		f, err := parseStatFilter(w[2:])
		if err != "" {
			out.WriteString(err)
			return
		}
		st.writeStat(out, now, f)
	case arg(0) == "show" && arg(1) == "servers" && arg(2) == "state":
		st.writeServersState(out, now, arg(3))
	case arg(0) == "show" && arg(1) == "info":
		fmt.Fprintf(out, "Name: HAProxy\nVersion: %s\nRelease_date: 2026/10/17\nNbthread: 2\nNbproc: 1\nProcess_num: 1\nPid: 1\n"+
			"Uptime: %s\nUptime_sec: %d\nMaxconn: 9984\nCurrConns: %d\nCumReq: %d\nStopping: 0\n",
			haproxyVersion, uptime(now), int64(now), st.frontConns(), st.frontReqs())
	case arg(0) == "show" && arg(1) == "version":
		out.WriteString(haproxyVersion + "\n")
	case arg(0) == "set" && arg(1) == "server":
		out.WriteString(st.setServer(w[2:], now))
	case arg(0) == "set" && arg(1) == "weight":
		out.WriteString(st.setWeightCmd(arg(2), arg(3)))
	case arg(0) == "get" && arg(1) == "weight":
		_, sv, msg := st.lookup(arg(2))
		if msg != "" {
			out.WriteString(msg)
			return
		}
		fmt.Fprintf(out, "%d (initial %d)\n", sv.uweight, sv.iweight)
	case (arg(0) == "enable" || arg(0) == "disable") && arg(1) == "server":
		_, sv, msg := st.lookup(arg(2))
		if msg != "" {
			out.WriteString(msg)
			return
		}
		if arg(0) == "enable" {
			sv.setState(adminReady, now)
		} else {
			sv.setState(adminMaint, now)
		}
	case arg(0) == "help":
		out.WriteString(cliHelp)
	case arg(0) == "quit":
	default:
		out.WriteString("Unknown command. Please enter one of the following commands only:\n" + cliHelp)
	}
}

// cliHelp lists the commands the emulation implements, in HAProxy's layout.
const cliHelp = "  disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)\n" +
	"  enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)\n" +
	"  get weight <bk>/<srv>                   : report a server's current weight\n" +
	"  set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl\n" +
	"  set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)\n" +
	"  show info [desc|json|typed|float]*      : report information about the running process\n" +
	"  show servers state [<backend>]          : dump volatile server information (all or for a single backend)\n" +
	"  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server\n" +
	"  show version                            : show version of the current process\n" +
	"  help [<command>]                        : list matching or all commands\n" +
	"  quit                                    : disconnect\n"

func uptime(now float64) string {
	s := int64(now)
	return fmt.Sprintf("%dd %dh%02dm%02ds", s/86400, s/3600%24, s/60%60, s%60)
}

func (st *haState) frontConns() int64 {
	var n int64
	for _, b := range st.backends {
		for _, sv := range b.servers {
			n += sv.c.active
		}
	}
	return n
}

func (st *haState) frontReqs() uint64 {
	n := st.redirects.requests
	for _, b := range st.backends {
		n += b.noServer.requests
		for _, sv := range b.servers {
			n += sv.c.requests
		}
	}
	return n
}

// parseStatFilter reads `show stat` arguments. It returns a non-empty
// reply when they are not understood.
func parseStatFilter(args []string) (statFilter, string) {
	f := allStats()
	var pos []string
	for _, a := range args {
		switch a {
		case "up":
			f.upOnly = true
		case "no-maint":
			f.noMaint = true
		case "typed", "json", "desc":
			return f, "The lbtop demo emulates only the CSV form of 'show stat', not '" + a + "'.\n"
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) == 0 {
		return f, ""
	}
	if len(pos) != 3 {
		return f, "Usage: show stat [{<iid>|<proxy>} <type> <sid>]\n"
	}
	if id, err := strconv.Atoi(pos[0]); err == nil {
		f.iid = id
	} else {
		f.proxy = pos[0]
	}
	t, err1 := strconv.Atoi(pos[1])
	sid, err2 := strconv.Atoi(pos[2])
	if err1 != nil || err2 != nil {
		return f, "Usage: show stat [{<iid>|<proxy>} <type> <sid>]\n"
	}
	if t != -1 {
		f.types = t
	}
	f.sid = sid
	return f, ""
}

// lookup resolves "backend/server" with HAProxy's error replies.
func (st *haState) lookup(ref string) (*haBackend, *haServer, string) {
	bk, sn, ok := strings.Cut(ref, "/")
	if !ok {
		return nil, nil, "Require 'backend/server'.\n"
	}
	be := st.backend(bk)
	if be == nil {
		return nil, nil, "No such backend.\n"
	}
	sv := be.server(sn)
	if sv == nil {
		return nil, nil, "No such server.\n"
	}
	return be, sv, ""
}

// setServer implements `set server <b>/<s> state|weight …`; it returns
// the reply, empty on success.
func (st *haState) setServer(args []string, now float64) string {
	if len(args) == 0 {
		return "Require 'backend/server'.\n"
	}
	be, sv, msg := st.lookup(args[0])
	if msg != "" {
		return msg
	}
	sub, val := "", ""
	if len(args) > 1 {
		sub = args[1]
	}
	if len(args) > 2 {
		val = args[2]
	}
	switch sub {
	case "state":
		switch val {
		case "ready":
			sv.setState(adminReady, now)
		case "drain":
			sv.setState(adminDrain, now)
		case "maint":
			sv.setState(adminMaint, now)
		default:
			return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n"
		}
		return ""
	case "weight":
		return setWeight(be, sv, val)
	default:
		return "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | " +
			"check-addr | check-port | fqdn | health | ssl | state | weight\n"
	}
}

func (st *haState) setWeightCmd(ref, val string) string {
	be, sv, msg := st.lookup(ref)
	if msg != "" {
		return msg
	}
	return setWeight(be, sv, val)
}

// setWeight follows HAProxy's server_parse_weight_change_request,
// including which messages end in a newline and which do not.
func setWeight(be *haBackend, sv *haServer, s string) string {
	if s == "" {
		return "Require <weight> or <weight%>.\n"
	}
	w, rest := strtol(s)
	switch {
	case len(rest) == len(s):
		return "Empty weight string empty or preceded by garbage"
	case rest == "%":
		if w < 0 {
			return "Relative weight must be positive.\n"
		}
		w = min(w, 25600)
		w = min(int64(sv.iweight)*w/100, 256)
	case w < 0 || w > 256:
		return "Absolute weight can only be between 0 and 256 inclusive.\n"
	case rest != "":
		return "Trailing garbage in weight string"
	}
	if w != 0 && w != int64(sv.iweight) && !dynamicLB(be.spec.algo) {
		return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n"
	}
	sv.uweight = int(w)
	return ""
}

// dynamicLB reports whether an algorithm accepts weight changes at run time.
func dynamicLB(algo string) bool { return algo != "static-rr" && algo != "first" }

// strtol parses a leading base-10 integer like C's strtol and returns it
// with the unparsed rest; no digits means rest is s. Values saturate.
func strtol(s string) (int64, string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v int64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if v < 1<<40 {
			v = v*10 + int64(s[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, s
	}
	if neg {
		v = -v
	}
	return v, s[i:]
}
