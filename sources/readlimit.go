package sources

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The reading policy every source shares: a reply is read as it streams in
// and abandoned as soon as it passes the source's byte limit, so a runaway
// or hostile endpoint costs at most about the limit in memory, and text
// quoted from a reply into an error is cut at the source.

// DefaultMaxResponseBytes is a source's byte limit when none is set
// (max_response_bytes in the config). The largest real replies lbtop reads
// are an Envoy /clusters or NGINX Plus upstreams body of ~50k hosts; a
// bigger fleet is read through Prometheus.
const DefaultMaxResponseBytes int64 = 64 << 20

// MaxSnippet is how many bytes of a reply (a body, a first line) an error
// message quotes.
const MaxSnippet = 256

// TooLargeError reports a reply that passed its source's byte limit.
type TooLargeError struct {
	Limit int64 // the limit in bytes
}

func (e *TooLargeError) Error() string {
	return "reply larger than " + FormatBytes(e.Limit) + " limit (max_response_bytes)"
}

// IsTooLarge reports whether err is, or wraps, a *TooLargeError.
func IsTooLarge(err error) bool {
	var te *TooLargeError
	return errors.As(err, &te)
}

// FormatBytes renders a byte count the way limits are written: "64 MiB",
// "512 KiB", "1000 bytes".
func FormatBytes(n int64) string {
	switch {
	case n > 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n > 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// LimitOr returns limit, or DefaultMaxResponseBytes when limit is not
// positive.
func LimitOr(limit int64) int64 {
	if limit <= 0 {
		return DefaultMaxResponseBytes
	}
	return limit
}

// LimitReader returns a reader of r that yields at most limit bytes and
// then fails with a *TooLargeError instead of reading on. Unlike
// io.LimitReader, a reply of exactly limit bytes still ends in io.EOF, and
// a longer one is an error rather than a silent cut.
func LimitReader(r io.Reader, limit int64) io.Reader {
	return &limitedReader{r: r, left: limit, limit: limit}
}

type limitedReader struct {
	r     io.Reader
	left  int64 // bytes still allowed; -1 once the limit was passed
	limit int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, &TooLargeError{Limit: l.limit}
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1] // one byte more than allowed tells "exactly" from "more"
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n + int(l.left), &TooLargeError{Limit: l.limit}
	}
	return n, err
}

// readChunk is the size of the pieces a reply of unknown length is
// collected in once it passes it: a doubling buffer would hold the old
// array and the new one (1.5× the reply) and leave ever larger garbage.
const readChunk = 1 << 20

// ReadAll reads r to its end and returns the bytes, failing with a
// *TooLargeError as soon as more than limit bytes arrive. size is the
// announced length (Content-Length), -1 or 0 when unknown: a larger
// announcement fails before reading, a smaller one sizes the buffer
// exactly. buf's array is reused when it is large enough (a source keeps
// the last good reply's). A reply of unknown length past 1 MiB is
// collected in 1 MiB pieces and joined at the end, so a reply cut at the
// limit costs about the limit in memory, and a good one twice its size
// for a moment. On error no buffer is returned: nothing of a failed read
// is retained.
func ReadAll(r io.Reader, buf []byte, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	cur := buf[:0]
	switch {
	case size > 0 && int64(cap(cur)) < size+1: // +1: room to see EOF without growing
		cur = make([]byte, 0, size+1)
	case cap(cur) == 0:
		cur = make([]byte, 0, min(512, limit+1))
	}
	var full [][]byte // pieces already filled
	var total int64   // bytes in full
	for {
		if len(cur) == cap(cur) {
			if full == nil && cap(cur) < readChunk {
				grown := make([]byte, len(cur), min(2*int64(cap(cur)), readChunk, limit+1))
				copy(grown, cur)
				cur = grown
			} else {
				full = append(full, cur)
				total += int64(len(cur))
				cur = make([]byte, 0, min(readChunk, limit+1-total))
			}
		}
		n, err := r.Read(cur[len(cur):cap(cur)])
		cur = cur[:len(cur)+n]
		if total+int64(len(cur)) > limit {
			return nil, &TooLargeError{Limit: limit}
		}
		if errors.Is(err, io.EOF) {
			if full == nil {
				return cur, nil
			}
			out := make([]byte, 0, total+int64(len(cur)))
			for _, p := range full {
				out = append(out, p...)
			}
			return append(out, cur...), nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Snippet renders the start of a reply for an error message: runs of
// white space (an HTML page's newlines) folded to one space, trimmed, and
// cut to at most MaxSnippet bytes on a character boundary, with "…"
// marking a cut. Only a bounded prefix of b is looked at. It does not make
// the text terminal-safe: model.SafeError does that where errors enter the
// model.
func Snippet(b []byte) string {
	cut := false
	if len(b) > 4*MaxSnippet {
		b, cut = b[:4*MaxSnippet], true
	}
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > MaxSnippet {
		n := MaxSnippet
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s, cut = s[:n], true
	}
	if cut {
		s += "…"
	}
	return s
}

// SnippetString is Snippet for a string.
func SnippetString(s string) string {
	if len(s) > 4*MaxSnippet {
		return Snippet([]byte(s[:4*MaxSnippet+1]))
	}
	return Snippet([]byte(s))
}
