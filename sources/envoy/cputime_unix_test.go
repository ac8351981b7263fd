//go:build unix

package envoy

import "syscall"

// processCPU returns the CPU time (user plus system) this process has
// used, in nanoseconds, or false when it cannot be read. Benchmarks report
// it beside wall time because the test machine is shared: wall time then
// counts other people's work, CPU time mostly does not.
func processCPU() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
