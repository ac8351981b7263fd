package haproxytest

import (
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// HTTPBackend is a small HTTP server on loopback that answers every request
// with one status code. HAProxy's servers point at these.
type HTTPBackend struct {
	Addr     string // host:port it listens on
	status   atomic.Int64
	requests atomic.Int64
}

// Status returns the status code the backend currently answers with.
func (b *HTTPBackend) Status() int { return int(b.status.Load()) }

// SetStatus changes the status code of later replies, to make a server
// start or stop failing its health checks.
func (b *HTTPBackend) SetStatus(code int) { b.status.Store(int64(code)) }

// Requests returns how many requests the backend has answered, health
// checks included.
func (b *HTTPBackend) Requests() int64 { return b.requests.Load() }

// StartHTTP starts an HTTP server on 127.0.0.1 with a random port that
// answers every request with status (200 for a healthy backend, 503 for an
// unhealthy one). It is shut down in t.Cleanup.
func StartHTTP(t testing.TB, status int) *HTTPBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("haproxytest: listen for HTTP backend: %v", err)
	}
	b := &HTTPBackend{Addr: ln.Addr().String()}
	b.SetStatus(status)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b.requests.Add(1)
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "text/plain")
			code := b.Status()
			w.WriteHeader(code)
			_, _ = io.WriteString(w, http.StatusText(code)+"\n")
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns http.ErrServerClosed on Close
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return b
}

// freeAddr reserves a random loopback port and releases it for a server to
// bind.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("haproxytest: find a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("haproxytest: release port %s: %v", addr, err)
	}
	return addr
}
