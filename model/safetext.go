package model

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxErrorText is how many bytes of a source's error text lbtop keeps. A
// server can answer with megabytes of text in an error body or a
// malformed first line; a few hundred bytes say what went wrong.
const MaxErrorText = 300

// truncMark ends a cut error text.
const truncMark = "…(cut)"

// SafeText makes text from a source safe to put on a terminal: control
// characters (C0, DEL, C1), and the bidirectional controls that reorder
// what the eye sees (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
// U+061C) become visible escapes (\x1b, \u202e), and invalid UTF-8 bytes
// become \xNN. An escape sequence thus shows as text and cannot drive the
// terminal. Text that needs no change is returned as is, without
// allocating. JSON output keeps its own escaping on top of this.
func SafeText(s string) string {
	i := cleanASCIIPrefix(s)
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, n) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeRune(r, n):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r, n):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports whether a decoded rune must not reach a terminal raw.
func unsafeRune(r rune, n int) bool {
	switch {
	case r == utf8.RuneError && n <= 1:
		return true
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// SafeError is SafeText for an error message, cut to at most MaxErrorText
// bytes (on a rune boundary, before escaping) with a visible marker, and
// with runs of whitespace (newlines from an HTML body) folded to one
// space.
func SafeError(s string) string {
	cut := false
	if len(s) > MaxErrorText {
		end := MaxErrorText
		for end > 0 && !utf8.RuneStart(s[end]) {
			end--
		}
		s, cut = s[:end], true
	}
	s = strings.Join(strings.Fields(s), " ")
	s = SafeText(s)
	if len(s) > MaxErrorText {
		// Escaping grew it; cut again at an escape-safe point.
		end := MaxErrorText
		for end > 0 && !utf8.RuneStart(s[end]) {
			end--
		}
		if k := strings.LastIndexByte(s[:end], '\\'); k >= end-6 && k >= 0 {
			end = k
		}
		s, cut = s[:end], true
	}
	if cut {
		s += truncMark
	}
	return s
}

// cleanASCIIPrefix returns the length of s's leading run of printable
// ASCII, eight bytes at a time: the Store passes every name through
// SafeText on each poll, and nearly all of them are plain ASCII.
func cleanASCIIPrefix(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		// A byte below 0x20 borrows into its high bit; a byte of 0x7f or
		// more sets it when 1 is added (0xff already has it).
		if ((x-0x20*ones)&^x|x|(x+ones))&highs != 0 {
			break
		}
	}
	return i
}
