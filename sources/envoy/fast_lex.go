package envoy

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// The lexical half of fastParser: objects, arrays, strings, numbers and
// literals, each checked as strictly as JSON asks, so that a document the
// fast path accepts is one goccy accepts too.

// object reads an object, calling member for each key with p just after
// the colon; member must read the value. Keys must be plain: printable
// ASCII without capitals or escapes, so that goccy's case-insensitive
// matching cannot pick a different field than this exact one.
func (p *fastParser) object(member func(key []byte) bool) bool {
	if !p.consume('{') {
		return false
	}
	p.ws()
	if p.consume('}') {
		return true
	}
	for {
		key, ok := p.key()
		if !ok {
			return false
		}
		p.ws()
		if !p.consume(':') {
			return false
		}
		p.ws()
		if !member(key) {
			return false
		}
		p.ws()
		if p.consume(',') {
			p.ws()
			continue
		}
		return p.consume('}')
	}
}

// array reads an array of objects, calling elem for each element with p
// on its first byte. A null or non-object element is left to goccy.
func (p *fastParser) array(elem func() bool) bool {
	if !p.consume('[') {
		return false
	}
	p.ws()
	if p.consume(']') {
		return true
	}
	for {
		if p.peek() != '{' || !elem() {
			return false
		}
		p.ws()
		if p.consume(',') {
			p.ws()
			continue
		}
		return p.consume(']')
	}
}

// key reads a plain key (see object).
func (p *fastParser) key() ([]byte, bool) {
	b, i := p.b, p.i
	if i >= len(b) || b[i] != '"' {
		return nil, false
	}
	i++
	start := i
	for i < len(b) && keyBytes[b[i]] != 0 {
		i++
	}
	if i >= len(b) || b[i] != '"' {
		return nil, false
	}
	p.i = i + 1
	return b[start:i], true
}

// Byte tables, indexed by a byte, holding 1 for the bytes a plain key may
// hold (printable ASCII, no quote, backslash or capital letter) and for
// the bytes a string may hold unescaped (no control character, quote or
// backslash). TestByteTables spells them out; a load from a constant
// string beats the comparisons it replaces in these hot loops.
const (
	keyBytes = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x01\x01\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	strBytes = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x01\x01\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
		"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
)

// str reads a string lbtop keeps into *s, copied out of the body (which
// the next poll reuses).
func (p *fastParser) str(s *string) bool { return p.plainString(s, true) }

// zone reads a locality zone, sharing one string per distinct zone.
func (p *fastParser) zone(s *string) bool {
	start := p.i
	var unused string
	if !p.plainString(&unused, false) {
		return false
	}
	raw := p.b[start+1 : p.i-1]
	if z, ok := p.zones[string(raw)]; ok { // no allocation for the lookup
		*s = z
		return true
	}
	if p.zones == nil {
		p.zones = make(map[string]string)
	}
	z := string(raw)
	p.zones[z] = z
	*s = z
	return true
}

// plainString reads a string without escapes or control characters whose
// bytes are valid UTF-8, the only case where the raw bytes are exactly
// what goccy would decode. It stores a copy in *s when keep is set.
func (p *fastParser) plainString(s *string, keep bool) bool {
	b, i := p.b, p.i
	if i >= len(b) || b[i] != '"' {
		return false
	}
	i++
	start := i
	ascii := true
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			raw := b[start:i]
			if !ascii && !utf8.Valid(raw) {
				return false
			}
			if keep {
				*s = string(raw)
			}
			p.i = i + 1
			return true
		case c == '\\' || c < 0x20:
			return false
		case c >= 0x80:
			ascii = false
		}
	}
	return false
}

// uint32 reads a non-negative integer without sign, fraction or exponent
// that fits 32 bits; anything else (goccy refuses most of it) is left to
// goccy. A leading zero followed by digits fails at the next delimiter.
func (p *fastParser) uint32(v *uint32) bool {
	b, i := p.b, p.i
	if i >= len(b) || b[i] < '0' || b[i] > '9' {
		return false
	}
	if b[i] == '0' {
		p.i = i + 1
		*v = 0
		return p.numberEnds()
	}
	var n uint64
	start := i
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if i-start >= 10 {
			return false
		}
		n = n*10 + uint64(b[i]-'0')
	}
	if n > 1<<32-1 {
		return false
	}
	p.i = i
	*v = uint32(n)
	return p.numberEnds()
}

// numberEnds reports whether the integer just read is not followed by a
// fraction, an exponent or more digits.
func (p *fastParser) numberEnds() bool {
	switch p.peek() {
	case '.', 'e', 'E', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return false
	}
	return true
}

// boolean reads true or false; null and the rest are left to goccy.
func (p *fastParser) boolean(v *bool) bool {
	switch {
	case p.literal("true"):
		*v = true
	case p.literal("false"):
		*v = false
	default:
		return false
	}
	return true
}

// skip passes over one value of any kind, checking it is valid JSON as
// goccy would: strings with valid escapes and no control characters,
// numbers in JSON's grammar, literals spelled out, brackets matched.
func (p *fastParser) skip() bool {
	stack := p.stack[:0]
	defer func() { p.stack = stack }()
	for {
		// A value.
		p.ws()
		switch c := p.peek(); {
		case c == '"':
			if !p.skipString() {
				return false
			}
		case c == '{' || c == '[':
			if len(stack) >= maxFastDepth {
				return false
			}
			p.i++
			p.ws()
			closing := byte(']')
			if c == '{' {
				closing = '}'
			}
			if p.consume(closing) {
				break
			}
			stack = append(stack, closing)
			if c == '{' && !p.memberKey() {
				return false
			}
			continue
		case c == 't':
			if !p.literal("true") {
				return false
			}
		case c == 'f':
			if !p.literal("false") {
				return false
			}
		case c == 'n':
			if !p.literal("null") {
				return false
			}
		case c == '-' || c >= '0' && c <= '9':
			if !p.number() {
				return false
			}
		default:
			return false
		}
		// After a value: close containers, or go on to the next element.
		for {
			if len(stack) == 0 {
				return true
			}
			p.ws()
			top := stack[len(stack)-1]
			if p.consume(top) {
				stack = stack[:len(stack)-1]
				continue
			}
			if !p.consume(',') {
				return false
			}
			if top == '}' && !p.memberKey() {
				return false
			}
			break
		}
	}
}

// memberKey reads `"key" :` inside an object being skipped.
func (p *fastParser) memberKey() bool {
	p.ws()
	if p.peek() != '"' || !p.skipString() {
		return false
	}
	p.ws()
	return p.consume(':')
}

// skipString passes over a string, checking its escapes.
func (p *fastParser) skipString() bool {
	b, i := p.b, p.i+1 // past the opening quote
	for i < len(b) {
		c := b[i]
		switch {
		case strBytes[c] != 0:
			i++
		case c == '"':
			p.i = i + 1
			return true
		case c == '\\':
			if i+1 >= len(b) {
				return false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return false
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return false
					}
				}
				i += 6
			default:
				return false
			}
		default:
			return false // a control character
		}
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// number passes over a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *fastParser) number() bool {
	b, i := p.b, p.i
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	p.i = i
	return p.numberEnds()
}

func (p *fastParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *fastParser) consume(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// literal consumes s (true, false, null) when it is next and is not
// followed by more letters.
func (p *fastParser) literal(s string) bool {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	c := p.peek()
	return c < 'a' || c > 'z'
}

// ws skips JSON white space. Pretty-printed bodies are about half
// indentation, so runs of spaces are skipped 8 bytes at a time.
func (p *fastParser) ws() {
	b, i := p.b, p.i
	for i < len(b) {
		switch b[i] {
		case ' ', '\n', '\t', '\r':
			i++
			for i+8 <= len(b) {
				// Zero bytes of x are spaces; the lowest set bit is in the
				// first byte that is not.
				x := binary.LittleEndian.Uint64(b[i:]) ^ 0x2020202020202020
				if x != 0 {
					i += bits.TrailingZeros64(x) / 8
					break
				}
				i += 8
			}
		default:
			p.i = i
			return
		}
	}
	p.i = i
}
