package haproxy

import (
	"io"
	"time"

	"github.com/lbtop/lbtop/model"
)

// ParsePoolsCSV is ParsePools over the parser Scan used before rowReader
// (encoding/csv behind the cutter), for BenchmarkParseMap10kCSV.
func ParsePoolsCSV(r io.Reader, now time.Time) ([]model.Pool, error) {
	pb := newPoolBuilder(now)
	if err := scanCSV(r, func(s *Stat) error { pb.add(s); return nil }, true); err != nil {
		return nil, err
	}
	return pb.pools(), nil
}
