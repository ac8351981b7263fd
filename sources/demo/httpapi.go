package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// httpAPI is the HTTP half shared by the emulated Envoy, NGINX Plus and
// Prometheus APIs: one handler served on one listener until close.
type httpAPI struct {
	name string // what close errors call it, e.g. "Envoy admin server"
	ln   net.Listener
	srv  *http.Server
}

func newHTTPAPI(name string, ln net.Listener, h http.Handler) httpAPI {
	return httpAPI{name: name, ln: ln, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       30 * time.Second,
	}}
}

// serve answers requests, each under ctx, until close is called.
func (a *httpAPI) serve(ctx context.Context) {
	a.srv.BaseContext = func(net.Listener) context.Context { return ctx }
	_ = a.srv.Serve(a.ln) // returns when close is called
}

// close stops the listener and every open connection.
func (a *httpAPI) close() error {
	if err := a.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("demo: close %s %s: %w", a.name, a.ln.Addr(), err)
	}
	return nil
}
