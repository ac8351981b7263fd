package actions

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/lbtop/lbtop/model"
)

// Who is the person acting: their login name and, over SSH, the client
// address from SSH_CONNECTION. Under `lbtop serve` Login is the SSH key's
// comment and KeyFingerprint its SHA256 fingerprint.
type Who struct {
	Login          string `json:"login"`
	SSHClient      string `json:"ssh_client,omitempty"`
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
}

// String renders "alice" or "alice (ssh 10.0.0.5)".
func (w Who) String() string {
	if w.SSHClient != "" {
		return w.Login + " (ssh " + w.SSHClient + ")"
	}
	return w.Login
}

// CurrentUser identifies the person running lbtop: the login name of the
// process's user (falling back to $USER, then $LOGNAME), and the first
// field of $SSH_CONNECTION ("client-ip client-port server-ip server-port").
func CurrentUser(getenv func(string) string) Who {
	w := Who{}
	if u, err := user.Current(); err == nil {
		w.Login = u.Username
	}
	for _, k := range []string{"USER", "LOGNAME"} {
		if w.Login == "" {
			w.Login = getenv(k)
		}
	}
	if w.Login == "" {
		w.Login = "unknown"
	}
	if f := strings.Fields(getenv("SSH_CONNECTION")); len(f) > 0 {
		w.SSHClient = f[0]
	}
	return w
}

// Entry is one line of the audit log: one attempted action on one
// backend. Fields are only added, never renamed. It holds names and
// states, never credentials; Error is the system's message, which
// sources write without secrets.
type Entry struct {
	Time    time.Time `json:"time"`
	User    Who       `json:"user"`
	Host    string    `json:"host"`
	Source  string    `json:"source"`
	Kind    string    `json:"kind,omitempty"`
	Pool    string    `json:"pool"`
	Backend string    `json:"backend"`
	Action  string    `json:"action"`
	Weight  *int      `json:"weight,omitempty"` // the weight asked for, for "weight"
	Before  *State    `json:"before"`           // read before the change
	After   *State    `json:"after"`            // read by the verifying poll; null when none
	Reason  string    `json:"reason"`           // the operator's one-line reason
	Result  Outcome   `json:"result"`
	Error   string    `json:"error"`
	Undo    bool      `json:"undo,omitempty"` // the action reverts an earlier one
}

// Ref is the backend the entry is about.
func (e Entry) Ref() model.BackendRef {
	return model.BackendRef{Source: e.Source, Pool: e.Pool, Backend: e.Backend}
}

// DefaultPath is the audit log's default location:
// $XDG_STATE_HOME/lbtop/audit.log, else ~/.local/state/lbtop/audit.log.
func DefaultPath(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "lbtop", "audit.log"), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("audit log: no $XDG_STATE_HOME and no home directory: %w (give --audit-log PATH)", err)
		}
		home = h
	}
	return filepath.Join(home, ".local", "state", "lbtop", "audit.log"), nil
}

// Log is an append-only JSON-lines audit file. Each entry is one line,
// written with a single write(2) on a file opened O_APPEND (so lines from
// several lbtop processes never interleave) and fsynced before Append
// returns (so a line reported written survives a crash). It is safe for
// concurrent use.
type Log struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// Open opens (creating it and its directory when needed, mode 0600) the
// audit log at path for appending.
func Open(path string) (*Log, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return &Log{path: path, f: f}, nil
}

// Path returns the file's path.
func (l *Log) Path() string { return l.path }

// Append writes e as one line and syncs it to disk. It takes no context
// on purpose: the line recording an action must be written even when the
// action's own context has expired, and a local append is not cancellable.
func (l *Log) Append(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit log %s: encode: %w", l.path, err)
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return fmt.Errorf("audit log %s: closed", l.path)
	}
	if _, err := l.f.Write(b); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

// Close closes the file; later Appends fail.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// maxLineBytes bounds one audit line when reading.
const maxLineBytes = 1 << 20

// ReadEntries reads an audit log, keeping the last limit entries (all
// when limit ≤ 0). A missing file is no entries. Lines that are not JSON
// entries (a torn last line after a power cut, a hand edit) are skipped
// and counted in bad.
func ReadEntries(path string, limit int) (entries []Entry, bad int, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", err)
	}
	defer func() { _ = f.Close() }()
	return readEntries(f, limit)
}

func readEntries(r io.Reader, limit int) ([]Entry, int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	var out []Entry
	bad := 0
	for sc.Scan() {
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			bad++
			continue
		}
		out = append(out, e)
		if limit > 0 && len(out) > 2*limit {
			out = append(out[:0], out[len(out)-limit:]...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, bad, fmt.Errorf("audit log: %w", err)
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, bad, nil
}

// LastBy returns, per backend, the newest entry that took it out of
// rotation (drain, maint, weight 0) and was not reported failed or
// refused, for the "drained 12 min ago by alice" note. An entry that put
// the backend back (ready, a weight above 0) removes it.
func LastBy(entries []Entry) map[model.BackendRef]Entry {
	out := map[model.BackendRef]Entry{}
	for _, e := range entries {
		if e.Result == Failed || e.Result == Refused {
			continue
		}
		switch {
		case e.Action == model.ActionDrain.String() || e.Action == model.ActionMaint.String() ||
			(e.Action == model.ActionWeight.String() && e.Weight != nil && *e.Weight == 0):
			out[e.Ref()] = e
		default:
			delete(out, e.Ref())
		}
	}
	return out
}
