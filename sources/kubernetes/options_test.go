package kubernetes

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

func TestNewErrorsNameTheEndpoint(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	dir := t.TempDir()
	kc := filepath.Join(dir, "config")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: https://" + addr + ", insecure-skip-tls-verify: true}\n" +
		"users:\n- name: u\n  user: {token: s3cr3t-token}\ncontexts:\n- name: prod\n  context: {cluster: c, user: u}\ncurrent-context: prod\n"
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"unreachable", Options{Kubeconfig: kc}, []string{"kubernetes prod:", addr}},
		{"missing file", Options{Kubeconfig: filepath.Join(dir, "nope")}, []string{filepath.Join(dir, "nope")}},
		{"unknown context", Options{Kubeconfig: kc, Context: "staging"}, []string{`context "staging"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := New(ctx, tc.opts)
			if err == nil {
				s.Close()
				t.Fatal("New succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestUnsupportedExplained(t *testing.T) {
	t.Parallel()
	s := &Source{name: "prod", gate: DefaultGateCondition}
	if ok, why := sources.Supports(s, model.ActionProxyFail); ok || !strings.Contains(why, "no proxy-level health switch") {
		t.Errorf("proxy-fail: %v %q", ok, why)
	}
	for _, k := range []model.ActionKind{model.ActionDrain, model.ActionReady, model.ActionWeight} {
		if ok, why := sources.Supports(s, k); !ok {
			t.Errorf("%s unsupported: %s", k, why)
		}
	}
	err := s.SetState(context.Background(), model.BackendRef{Pool: "ns/web", Backend: "p"}, model.ActionMaint)
	if err == nil || !strings.Contains(err.Error(), "no maintenance state") {
		t.Errorf("maint: %v", err)
	}
	if lo, hi := s.WeightRange(); lo != 0 || hi != 1000000 {
		t.Errorf("weight range %d–%d", lo, hi)
	}
}
