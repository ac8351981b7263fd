package sources

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAll(t *testing.T) {
	t.Parallel()
	const limit = 3 << 20
	tests := []struct {
		name    string
		n       int   // bytes sent
		size    int64 // announced; -1 unknown
		bufCap  int   // capacity of the buffer offered for reuse
		tooBig  bool
		reused  bool // the result lives in the offered buffer
		oneByte bool // the reader returns one byte per Read
	}{
		{name: "empty", n: 0, size: -1},
		{name: "small, unknown length", n: 1000, size: -1},
		{name: "small, one byte per read", n: 1000, size: -1, oneByte: true},
		{name: "pieces joined", n: 2<<20 + 12345, size: -1},
		{name: "exactly the limit", n: limit, size: -1},
		{name: "exactly the limit, announced", n: limit, size: limit},
		{name: "one byte over", n: limit + 1, size: -1, tooBig: true},
		{name: "announced over", n: 10, size: limit + 1, tooBig: true},
		{name: "announced shorter than sent", n: 5000, size: 100},
		{name: "reuses a large buffer", n: 5000, size: -1, bufCap: 8192, reused: true},
		{name: "reuses a buffer for a known length", n: 5000, size: 5000, bufCap: 5001, reused: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := bytes.Repeat([]byte("0123456789abcdef"), tc.n/16+1)[:tc.n]
			var r io.Reader = bytes.NewReader(want)
			if tc.oneByte {
				r = iotest.OneByteReader(r)
			}
			buf := make([]byte, 0, tc.bufCap)
			got, err := ReadAll(r, buf, tc.size, limit)
			if tc.tooBig {
				var te *TooLargeError
				if !errors.As(err, &te) || te.Limit != limit || got != nil {
					t.Fatalf("ReadAll = %d bytes, %v; want no bytes and a TooLargeError of %d", len(got), err, limit)
				}
				if !strings.Contains(err.Error(), "reply larger than 3 MiB limit") {
					t.Errorf("error %q does not name the limit", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("ReadAll = %d bytes, %v; want the %d bytes sent", len(got), err, len(want))
			}
			if inBuf := tc.bufCap > 0 && len(got) > 0 && &got[0] == &buf[:1][0]; inBuf != tc.reused {
				t.Errorf("result in the offered buffer: %v, want %v", inBuf, tc.reused)
			}
		})
	}
}

func TestReadAllPassesReadErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	got, err := ReadAll(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), nil, -1, 100)
	if !errors.Is(err, boom) || got != nil {
		t.Fatalf("ReadAll = %q, %v; want nil, boom", got, err)
	}
}

func TestLimitReader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n      int
		tooBig bool
	}{{99, false}, {100, false}, {101, true}, {5000, true}} {
		got, err := io.ReadAll(LimitReader(strings.NewReader(strings.Repeat("x", tc.n)), 100))
		if IsTooLarge(err) != tc.tooBig {
			t.Errorf("%d bytes: error %v, want too large %v", tc.n, err, tc.tooBig)
		}
		if len(got) > 100 {
			t.Errorf("%d bytes: read %d, more than the limit", tc.n, len(got))
		}
	}
}

func TestSnippet(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 1000) // 2000 bytes
	tests := []struct{ in, want string }{
		{"", ""},
		{"  Permission denied.\n\n", "Permission denied."},
		{"<html>\n  <body>\n\tBad Gateway</body>\n</html>\n", "<html> <body> Bad Gateway</body> </html>"},
		{long, strings.Repeat("é", MaxSnippet/2) + "…"},
		{strings.Repeat("a", MaxSnippet), strings.Repeat("a", MaxSnippet)},
		{strings.Repeat("a", MaxSnippet+1), strings.Repeat("a", MaxSnippet) + "…"},
	}
	for _, tc := range tests {
		if got := SnippetString(tc.in); got != tc.want {
			t.Errorf("Snippet(%.40q…) = %.60q…, want %.60q…", tc.in, got, tc.want)
		}
		if got := SnippetString(tc.in); len(got) > MaxSnippet+len("…") {
			t.Errorf("Snippet is %d bytes", len(got))
		}
	}
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		64 << 20: "64 MiB", 8 << 20: "8 MiB", 1 << 30: "1 GiB", 2048: "2 KiB", 1536: "1536 bytes", 1000: "1000 bytes", 0: "0 bytes",
	} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
