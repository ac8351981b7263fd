package haproxy_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy"
)

// syntheticShowStat builds a `show stat` dump of servers servers in pools
// of 10, from the header and server rows of the dump recorded from HAProxy
// 2.6.12 (every status it printed, cycled), renaming proxies, servers and
// addresses.
func syntheticShowStat(tb testing.TB, servers int) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "haproxy", "show-stat-2.6.12.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	header := lines[0]
	var serverRows []string
	var backendRow string
	for _, l := range lines[1:] {
		f := strings.SplitN(l, ",", 3)
		switch {
		case f[0] == "app" && f[1] == "BACKEND":
			backendRow = f[2]
		case f[0] == "app":
			serverRows = append(serverRows, f[2])
		}
	}
	var b bytes.Buffer
	b.WriteString(header + "\n")
	const perPool = 10
	for i := 0; i < servers; i++ {
		pool := fmt.Sprintf("be_service_%05d", i/perPool)
		row := serverRows[i%len(serverRows)]
		// The addr column differs per server, as in a real fleet.
		row = strings.Replace(row, "127.0.0.1:", fmt.Sprintf("10.%d.%d.%d:", i>>16&255, i>>8&255, i&255), 1)
		fmt.Fprintf(&b, "%s,srv-%06d,%s\n", pool, i, row)
		if i%perPool == perPool-1 || i == servers-1 {
			fmt.Fprintf(&b, "%s,BACKEND,%s\n", pool, backendRow)
		}
	}
	b.WriteString("\n")
	return b.Bytes()
}

func TestSyntheticShowStat(t *testing.T) {
	t.Parallel()
	data := syntheticShowStat(t, 1000)
	stats, err := haproxy.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	pools := haproxy.Pools(stats, time.Now())
	n := 0
	for _, p := range pools {
		n += len(p.Backends)
	}
	if len(pools) != 100 || n != 1000 {
		t.Errorf("got %d pools, %d servers; want 100, 1000", len(pools), n)
	}
}

// BenchmarkParseMap10k parses and maps `show stat` for 10,000 servers
// (1,000 backends). Goal: ≤ 20 ms/op on the 2-vCPU VM.
func BenchmarkParseMap10k(b *testing.B) {
	benchParseMap(b, haproxy.ParsePools)
}

// BenchmarkParseMap10kCSV is BenchmarkParseMap10k through the parser
// Scan used before (encoding/csv behind a column cutter), to compare.
func BenchmarkParseMap10kCSV(b *testing.B) {
	benchParseMap(b, haproxy.ParsePoolsCSV)
}

func benchParseMap(b *testing.B, parsePools func(io.Reader, time.Time) ([]model.Pool, error)) {
	data := syntheticShowStat(b, 10_000)
	now := time.Now()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		pools, err := parsePools(bytes.NewReader(data), now)
		if err != nil {
			b.Fatal(err)
		}
		if len(pools) != 1000 {
			b.Fatalf("got %d pools", len(pools))
		}
	}
	// The machine is shared: CPU time used by this process (GC included)
	// per op is steadier than wall time when others load it.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuTime returns the user+system CPU time this process has used.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCSVFloor10k reads the same dump with a bare encoding/csv
// reader and does nothing else: the floor BenchmarkParseMap10k sits on.
func BenchmarkCSVFloor10k(b *testing.B) {
	data := syntheticShowStat(b, 10_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		r.ReuseRecord = true
		r.LazyQuotes = true
		for {
			if _, err := r.Read(); err != nil {
				break
			}
		}
	}
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
