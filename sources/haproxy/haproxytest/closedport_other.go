//go:build !unix

package haproxytest

import "testing"

// ClosedPort returns a loopback host:port on which nothing listens, so
// connections to it are refused (HAProxy reports L4CON). The port was free
// a moment ago; another process could take it.
func ClosedPort(t testing.TB) string {
	t.Helper()
	return freeAddr(t)
}
