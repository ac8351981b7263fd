// Command standin runs one misbehaving stand-in from package faulttest on
// loopback and prints the address to give lbtop, for measuring by hand:
//
//	go run ./sources/faulttest/testdata/standin -kind envoy -fault oversized
//
// It serves until interrupted.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/lbtop/lbtop/sources/faulttest"
)

func main() {
	kind := flag.String("kind", "envoy", "haproxy, envoy, nginx-plus, nginx-stub or prometheus")
	fault := flag.String("fault", "oversized", "a faulttest fault, e.g. oversized, endless, slow, hang")
	size := flag.Int64("bytes", 200_000_000, "size of an oversized reply")
	flag.Parse()
	s, err := faulttest.Start(faulttest.Kind(*kind), faulttest.Fault(*fault), faulttest.Options{OversizedBytes: *size})
	if err != nil {
		fmt.Fprintln(os.Stderr, "standin:", err)
		os.Exit(1)
	}
	fmt.Println(s.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	<-stop
	_ = s.Close()
}
