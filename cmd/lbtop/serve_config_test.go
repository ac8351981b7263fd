package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// settleFrom parses args as `lbtop serve` does, loads the config and
// settles the settings.
func settleFrom(t *testing.T, env map[string]string, args ...string) (*serveOpts, error) {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	_, so, cfg := parseServe(t, getenv, args...)
	return so, so.settle(cfg, getenv)
}

// The config's serve: block fills what no flag gives; a flag (or
// LBTOP_LISTEN) wins over it; the defaults fill the rest.
func TestServeConfigBlockAndFlags(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lbtop.yaml")
	y := "sources:\n  - {kind: haproxy, address: 127.0.0.1:1}\nserve:\n  listen: 127.0.0.1:2200\n  host_key: " + filepath.Join(dir, "hk") +
		"\n  operator_keys: " + filepath.Join(dir, "ops") + "\n  max_sessions: 3\n  idle_timeout: 5m\n"
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	so, err := settleFrom(t, nil, "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if so.listen != "127.0.0.1:2200" || so.hostKey != filepath.Join(dir, "hk") || so.operatorKeys != filepath.Join(dir, "ops") ||
		so.viewerKeys != "" || so.maxSessions != 3 || so.idleTimeout != 5*time.Minute {
		t.Errorf("from the config: %+v", so)
	}
	if got := so.from["operator-keys"]; got != cfg+":6: serve.operator_keys" {
		t.Errorf("operator keys named as %q", got)
	}
	so, err = settleFrom(t, map[string]string{"LBTOP_LISTEN": "127.0.0.1:2300"}, "--config", cfg, "--max-sessions", "7",
		"--operator-keys", "/x/ops", "--viewer-keys", "/x/views")
	if err != nil {
		t.Fatal(err)
	}
	if so.listen != "127.0.0.1:2300" || so.operatorKeys != "/x/ops" || so.viewerKeys != "/x/views" || so.maxSessions != 7 ||
		so.idleTimeout != 5*time.Minute || so.from["operator-keys"] != "--operator-keys" {
		t.Errorf("flags over the config: %+v", so)
	}
	so, err = settleFrom(t, nil, "--listen", ":2222", "--viewer-keys", "/x/views", "--haproxy", "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if so.maxSessions != defaultMaxSessions || so.idleTimeout != defaultIdleTimeout || filepath.Base(so.hostKey) != hostKeyName {
		t.Errorf("defaults: %+v", so)
	}
	if _, err := settleFrom(t, nil, "--haproxy", "127.0.0.1:1", "--viewer-keys", "/x/views"); err == nil || !strings.Contains(err.Error(), "--listen: required") {
		t.Errorf("no listen anywhere: %v", err)
	}
}

// A keys file named in the config that does not parse is reported with
// the config's file, line and field before anything listens.
func TestServeConfigBadKeysFile(t *testing.T) {
	dir := t.TempDir()
	ops := filepath.Join(dir, "ops")
	if err := os.WriteFile(ops, []byte("ssh-ed25519 notakey ana\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "lbtop.yaml")
	y := "sources:\n  - {kind: haproxy, address: 127.0.0.1:1}\nserve:\n  listen: 127.0.0.1:0\n  host_key: " + filepath.Join(dir, "hk") + "\n  operator_keys: " + ops + "\n"
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(string) string { return "" }
	o, so, c := parseServe(t, getenv, "--config", cfg, "--audit-log", filepath.Join(dir, "audit.log"))
	var out, errs strings.Builder
	code := serve(context.Background(), o, so, c, getenv, slog.New(slog.DiscardHandler), &out, &errs)
	want := cfg + ":6: serve.operator_keys: " + ops + " line 1:"
	if code != exitError || !strings.Contains(errs.String(), want) || strings.Contains(out.String(), "listening") {
		t.Errorf("exit %d, stderr %q, stdout %q; want 1 and %q", code, errs.String(), out.String(), want)
	}
}

// A private key given as a keys file (the usual slip: KEY for KEY.pub) is
// named as such, and nothing of it is printed.
func TestServePrivateKeyAsKeysFile(t *testing.T) {
	dir := t.TempDir()
	priv := filepath.Join(dir, "id_ed25519")
	key := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n"
	if err := os.WriteFile(priv, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	err := loadKeys(priv, roleOperator, "--operator-keys", map[string]identity{})
	want := "--operator-keys: " + priv + " is a private key: give an authorized_keys file (public keys: the lines of KEY.pub)"
	if err == nil || err.Error() != want || strings.Contains(err.Error(), "b3Blbn") {
		t.Errorf("error %v, want %q", err, want)
	}
}
