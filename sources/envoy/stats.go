package envoy

import (
	"fmt"
)

// hostStats holds the per-host stats lbtop reads from a host's "stats"
// array (admin.v3.SimpleMetric entries): open connections, requests, and
// requests answered with a 5xx (admin.rst, per-host statistics).
//
// Why a hand-written scanner for this one array: decoding the array into
// []struct{Name, Value} costs two allocations per stat, because goccy
// copies the bytes for every UnmarshalJSON call and a value can be a
// string or a number, so it needs one. With 8 stats per host that was
// three quarters of all allocations and about half the CPU of a poll. Here
// goccy hands over the whole array once per host and this scanner reads it
// without allocating.
type hostStats struct {
	CxActive uint64 // cx_active
	RqTotal  uint64 // rq_total
	RqError  uint64 // rq_error
}

// UnmarshalJSON reads a stats array: objects with any keys in any order,
// of which "name" (a string) and "value" are used. A value is a uint64
// written as a string ("5", proto3 JSON from the buffered handler), a
// number (5, the streaming handler) or null. Unknown keys, including
// nested values, are skipped; null or an empty array means no stats.
func (hs *hostStats) UnmarshalJSON(b []byte) error {
	*hs = hostStats{}
	sc := scanner{b: b}
	sc.ws()
	if sc.literal("null") {
		return sc.end()
	}
	if !sc.consume('[') {
		return sc.fail("stats is not an array")
	}
	sc.ws()
	if sc.consume(']') {
		return sc.end()
	}
	for {
		if err := sc.stat(hs); err != nil {
			return err
		}
		sc.ws()
		if sc.consume(',') {
			sc.ws()
			continue
		}
		if sc.consume(']') {
			return sc.end()
		}
		return sc.fail("want ',' or ']' after a stat")
	}
}

// scanner walks one JSON value held in b. It never allocates on success.
type scanner struct {
	b []byte
	i int
}

// stat reads one {"name":…, "value":…} object into hs.
func (sc *scanner) stat(hs *hostStats) error {
	if !sc.consume('{') {
		return sc.fail("a stat is not an object")
	}
	var name []byte
	var value uint64
	sc.ws()
	if !sc.consume('}') {
		for {
			key, ok := sc.str()
			if !ok {
				return sc.fail("want a key in a stat")
			}
			sc.ws()
			if !sc.consume(':') {
				return sc.fail("want ':' after a key")
			}
			sc.ws()
			switch string(key) {
			case "name":
				if name, ok = sc.str(); !ok {
					return sc.fail("stat name is not a string")
				}
			case "value":
				v, err := sc.uint()
				if err != nil {
					return err
				}
				value = v
			default:
				if !sc.skip() {
					return sc.fail("bad value in a stat")
				}
			}
			sc.ws()
			if sc.consume(',') {
				sc.ws()
				continue
			}
			if sc.consume('}') {
				break
			}
			return sc.fail("want ',' or '}' in a stat")
		}
	}
	switch string(name) { // compared in place, no allocation
	case "cx_active":
		hs.CxActive = value
	case "rq_total":
		hs.RqTotal = value
	case "rq_error":
		hs.RqError = value
	}
	return nil
}

// uint reads a stat value: a uint64 as a number, as a string, or null.
func (sc *scanner) uint() (uint64, error) {
	start := sc.i
	var digits []byte
	switch {
	case sc.literal("null"):
		return 0, nil
	case sc.peek() == '"':
		s, ok := sc.str()
		if !ok {
			return 0, sc.fail("unterminated stat value")
		}
		digits = s
	default:
		for sc.i < len(sc.b) && isNumberByte(sc.b[sc.i]) {
			sc.i++
		}
		digits = sc.b[start:sc.i]
	}
	n, ok := parseUint64(digits)
	if !ok {
		return 0, fmt.Errorf("stat value %s is not an unsigned 64-bit integer", truncate(sc.b[start:sc.i], 40))
	}
	return n, nil
}

// str reads a string and returns its raw contents between the quotes
// (escapes are not decoded: the names lbtop compares never have any).
func (sc *scanner) str() ([]byte, bool) {
	b, i := sc.b, sc.i // locals: a plain loop beats IndexByte on short names
	if i >= len(b) || b[i] != '"' {
		return nil, false
	}
	i++
	start := i
	for i < len(b) {
		switch b[i] {
		case '"':
			sc.i = i + 1
			return b[start:i], true
		case '\\':
			i += 2
		default:
			i++
		}
	}
	return nil, false
}

// skip passes over any one value: a string, an object or array (nesting
// counted, strings respected) or a scalar.
func (sc *scanner) skip() bool {
	switch sc.peek() {
	case '"':
		_, ok := sc.str()
		return ok
	case '{', '[':
		depth := 0
		for sc.i < len(sc.b) {
			switch sc.b[sc.i] {
			case '"':
				if _, ok := sc.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					sc.i++
					return true
				}
			}
			sc.i++
		}
		return false
	}
	start := sc.i
	for sc.i < len(sc.b) && (isNumberByte(sc.b[sc.i]) || sc.b[sc.i] >= 'a' && sc.b[sc.i] <= 'z') {
		sc.i++
	}
	return sc.i > start
}

// isNumberByte reports whether c can appear in a JSON number.
func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func (sc *scanner) peek() byte {
	if sc.i < len(sc.b) {
		return sc.b[sc.i]
	}
	return 0
}

func (sc *scanner) consume(c byte) bool {
	if sc.i < len(sc.b) && sc.b[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

func (sc *scanner) literal(s string) bool {
	if len(sc.b)-sc.i >= len(s) && string(sc.b[sc.i:sc.i+len(s)]) == s {
		sc.i += len(s)
		return true
	}
	return false
}

func (sc *scanner) ws() {
	b, i := sc.b, sc.i // locals: the loop runs over every indent byte
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	sc.i = i
}

// end checks that nothing but white space follows the value.
func (sc *scanner) end() error {
	sc.ws()
	if sc.i != len(sc.b) {
		return sc.fail("unexpected data after the stats array")
	}
	return nil
}

// fail describes a malformed stats array with where it went wrong.
func (sc *scanner) fail(what string) error {
	at := min(sc.i, len(sc.b))
	return fmt.Errorf("host stats: %s at byte %d near %q", what, at, truncate(sc.b[at:], 24))
}

// parseUint64 parses decimal digits without allocating (strconv needs a
// string, and converting costs an allocation per stat).
func parseUint64(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
