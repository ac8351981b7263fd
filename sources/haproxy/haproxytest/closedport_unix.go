//go:build unix

package haproxytest

import (
	"net"
	"strconv"
	"syscall"
	"testing"
)

// ClosedPort returns a loopback host:port on which connections are refused
// (HAProxy reports L4CON) for the whole test. The port is held by a socket
// that is bound but never listens: nothing else can bind it, and the
// kernel never picks it as the source port of an outgoing connection, so
// a health check cannot connect to itself (TCP simultaneous open), which a
// merely released port allowed once in a few thousand checks.
func ClosedPort(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("haproxytest: socket for a closed port: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("haproxytest: bind a closed port: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("haproxytest: name of the closed port: %v", err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		t.Fatalf("haproxytest: closed port has address %T", sa)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(in4.Port))
}
