package model

import (
	"fmt"
	"regexp"
	"strings"
)

// Filter is a parsed filter expression, typed after `/`. Terms are
// separated by spaces and must all match (case-insensitive):
//
//	word         a pool name, backend name or address contains word
//	!word        none of them contains word (also !/re/ and !field:value)
//	/re/         a regular expression over the same names (RE2 syntax)
//	kind:nginx   the pool's system (haproxy, envoy, nginx, prometheus, kubernetes)
//	source:lb1   one of the instances reporting the pool
//	state:down   the pool's diagnosis state (ok, warning, degraded, down, unknown)
//	cause:dns    the pool's diagnosis cause or its short form ("refused")
//
// Field values match as prefixes: state:deg, kind:hap. A word with a colon
// whose prefix is not a field ("10.0.0.1:8080") is an ordinary word.
type Filter struct {
	terms []filterTerm
}

type filterField uint8

const (
	fieldText filterField = iota
	fieldKind
	fieldSource
	fieldState
	fieldCause
)

var filterFields = map[string]filterField{
	"kind": fieldKind, "source": fieldSource, "state": fieldState, "cause": fieldCause,
}

type filterTerm struct {
	neg   bool
	field filterField
	word  string         // lower-cased
	re    *regexp.Regexp // fieldText only, for /re/
}

// ParseFilter parses a filter expression. The error names the term that
// could not be read (an invalid regular expression).
func ParseFilter(s string) (Filter, error) {
	var f Filter
	for _, w := range strings.Fields(s) {
		t := filterTerm{}
		if len(w) > 1 && w[0] == '!' {
			t.neg, w = true, w[1:]
		}
		switch {
		case len(w) >= 2 && w[0] == '/' && w[len(w)-1] == '/':
			re, err := regexp.Compile("(?im)" + w[1:len(w)-1])
			if err != nil {
				return Filter{}, fmt.Errorf("filter %q: %v", w, err)
			}
			t.re = re
		default:
			if k, v, ok := strings.Cut(w, ":"); ok {
				if fld, known := filterFields[strings.ToLower(k)]; known {
					t.field, w = fld, v
				}
			}
			t.word = strings.ToLower(w)
		}
		f.terms = append(f.terms, t)
	}
	return f, nil
}

// IsPlainFilter reports whether s is one plain word (no spaces, negation,
// regular expression or field): a filter for which typing one more
// character can only narrow the matches, so the UI may filter the rows
// already shown instead of the whole fleet.
func IsPlainFilter(s string) bool {
	if strings.ContainsAny(s, " \t!/") {
		return false
	}
	if k, _, ok := strings.Cut(s, ":"); ok {
		if _, known := filterFields[strings.ToLower(k)]; known {
			return false
		}
	}
	return true
}

// Empty reports whether the filter has no terms and so matches everything.
func (f Filter) Empty() bool { return len(f.terms) == 0 }

// Match reports whether a pool passes every term.
func (f Filter) Match(p *PoolRow) bool {
	for i := range f.terms {
		if f.terms[i].matchPool(p) == f.terms[i].neg {
			return false
		}
	}
	return true
}

func (t *filterTerm) matchPool(p *PoolRow) bool {
	switch t.field {
	case fieldKind:
		return strings.HasPrefix(string(p.Kind), t.word)
	case fieldSource:
		for _, s := range p.Sources {
			if strings.Contains(strings.ToLower(s), t.word) {
				return true
			}
		}
		for i := range p.Backends {
			if in := p.Backends[i].Instance; in != "" && strings.Contains(strings.ToLower(in), t.word) {
				return true
			}
		}
		return false
	case fieldState:
		return strings.HasPrefix(p.Diagnosis.State.String(), t.word)
	case fieldCause:
		return strings.HasPrefix(string(p.Diagnosis.Cause), t.word) ||
			(t.word != "" && strings.Contains(strings.ToLower(p.Diagnosis.Short), t.word))
	}
	if t.re != nil {
		return t.re.MatchString(p.hay)
	}
	return strings.Contains(p.hay, t.word)
}

// matchText reports whether a text term matches one name (already lower
// case for words; regular expressions ignore case themselves).
func (t *filterTerm) matchText(lower string) bool {
	if t.re != nil {
		return t.re.MatchString(lower)
	}
	return strings.Contains(lower, t.word)
}

// MatchBackend reports whether a backend of a pool that passed Match is
// shown: its name or address matches every positive text term (or the
// pool's name does), and no negative text term. Field terms describe the
// pool and do not narrow its backends.
func (f Filter) MatchBackend(poolName string, b *BackendRow) bool {
	pn, bn, ba := strings.ToLower(poolName), strings.ToLower(b.Name), strings.ToLower(b.Address)
	for i := range f.terms {
		t := &f.terms[i]
		if t.field != fieldText {
			continue
		}
		own := t.matchText(bn) || t.matchText(ba)
		if t.neg && own {
			return false
		}
		if !t.neg && !own && !t.matchText(pn) {
			return false
		}
	}
	return true
}
