package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

// killOnRead answers the confirmation prompt with "y" after killing the
// HAProxy the action is about: the source dies between the confirmation
// and the write.
type killOnRead struct {
	t    *testing.T
	inst *haproxytest.Instance
	done bool
}

func (k *killOnRead) Read(p []byte) (int, error) {
	if !k.done {
		k.done = true
		actKill(k.t, k.inst)
	}
	return copy(p, "y\n"), nil
}

// actKill SIGKILLs the test's own HAProxy (its pid from show info).
func actKill(t *testing.T, inst *haproxytest.Instance) {
	t.Helper()
	for line := range strings.Lines(inst.Cmd(t, "show info")) {
		if v, ok := strings.CutPrefix(line, "Pid: "); ok {
			pid, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatal("no Pid in show info")
}

func TestActionSourceKilledAfterConfirmation(t *testing.T) {
	t.Parallel()
	inst := actStart(t)
	log := filepath.Join(t.TempDir(), "audit.log")
	var out, errb bytes.Buffer
	getenv := func(string) string { return "" }
	code := runAction(context.Background(), []string{"drain", "web/a", "--haproxy", inst.Addr, "--audit-log", log},
		getenv, &killOnRead{t: t, inst: inst}, &out, &errb)
	if code != exitError {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "failed: drain haproxy:"+inst.Addr+":web/a — haproxy "+inst.Addr) ||
		strings.Contains(out.String(), "confirmed") {
		t.Errorf("stdout %q\nstderr %q", out.String(), errb.String())
	}
	es := actAudit(t, log)
	if len(es) != 1 || es[0].Result != actions.Failed || es[0].Error == "" || es[0].After != nil {
		t.Errorf("audit: %+v", es)
	}
}
