package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestActionReadOnlySource: read_only on one source in the config refuses
// actions on it (exit 1, nothing sent), naming the source.
func TestActionReadOnlySource(t *testing.T) {
	t.Parallel()
	inst := actStart(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lbtop.yaml")
	text := "sources:\n  - kind: haproxy\n    name: edge\n    address: " + inst.Addr + "\n    read_only: true\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "audit.log")
	code, _, errs := actRun(t, "y\n", "drain", "web/a", "--config", cfg, "--yes", "--audit-log", log)
	if code != exitError || !strings.Contains(errs, `source "edge" is read-only`) {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got := inst.Status(t, "web", "a"); got != "UP" {
		t.Errorf("read-only source changed: %s", got)
	}
	if _, err := os.Stat(log); !os.IsNotExist(err) {
		t.Error("audit log written for a refused read-only action")
	}
}
