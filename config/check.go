package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	commonconfig "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/lbtop/lbtop/internal/suggest"
)

// problem is one error found in a config file, kept with its line so that
// every problem of a file is reported at once, in file order.
type problem struct {
	line int
	msg  string
}

func (p problem) Error() string { return p.msg }

// checker walks the YAML tree against the Go types it will be decoded into
// before decoding, so that unknown fields (with a suggestion), durations
// without a unit, booleans and numbers are reported in the user's words,
// all of them. It removes each offending entry from the tree, so the
// decoder does not report it a second time in its own words.
type checker struct {
	file     string
	problems []problem
	paths    map[int]string // line → the field on it, to place the decoder's own messages
	values   map[int]string // line → the field whose mapping value starts on it
	lines    map[string]int // field ("sources[0].interval") → its line, for validation messages
	// suggested are the fields an unknown field was probably meant to be:
	// their own validation problems ("address: missing") would repeat it.
	suggested map[string]bool
}

func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func (k *checker) add(line int, path, format string, args ...any) {
	prefix := k.file + ": "
	if line > 0 {
		prefix = fmt.Sprintf("%s:%d: ", k.file, line)
	}
	if path != "" {
		prefix += path + ": "
	}
	k.problems = append(k.problems, problem{line: line, msg: prefix + fmt.Sprintf(format, args...)})
}

var (
	durationType   = reflect.TypeFor[time.Duration]()
	httpClientType = reflect.TypeFor[HTTPClient]()
	httpConfigType = reflect.TypeFor[commonconfig.HTTPClientConfig]()
	unmarshalerV3  = reflect.TypeFor[yaml.Unmarshaler]()
	unmarshalerV2  = reflect.TypeFor[interface {
		UnmarshalYAML(func(any) error) error
	}]()
)

// custom reports whether t decodes itself (Secret, TLSVersion, URL, …).
func custom(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(unmarshalerV3) || p.Implements(unmarshalerV2) || t.Implements(unmarshalerV3) || t.Implements(unmarshalerV2)
}

// walk checks n against t at path ("sources[0].interval"); it returns
// false when the entry must be dropped from the tree.
func (k *checker) walk(n *yaml.Node, t reflect.Type, path string) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == httpClientType {
		t = httpConfigType // a wrapper that only adds line numbers
	}
	if n.Kind == yaml.AliasNode || n.ShortTag() == "!!null" {
		return true
	}
	if t == durationType {
		if n.Kind != yaml.ScalarNode {
			k.add(n.Line, path, "want a duration such as 2s, got %s", describe(n, path))
			return false
		}
		if _, err := ParseDuration(n.Value); err != nil {
			k.add(n.Line, path, "%s", durationFieldErr(n.Value, err))
			return false
		}
		return true
	}
	if n.Kind == yaml.ScalarNode && custom(t) {
		return true // the type reads its own scalar form
	}
	switch t.Kind() {
	case reflect.Struct:
		return k.walkMapping(n, t, path)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			k.add(n.Line, path, "want a mapping (name: value), got %s", describe(n, path))
			return false
		}
		k.walkPairs(n, path, func(string) (reflect.Type, bool) { return t.Elem(), true })
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			k.add(n.Line, path, "want a list (- item, or [a, b]), got %s", describe(n, path))
			return false
		}
		for i, it := range n.Content {
			item := fmt.Sprintf("%s[%d]", path, i)
			k.lines[item] = it.Line
			if !k.walk(it, t.Elem(), item) {
				// Keep the index of every later item as the user counts it.
				*it = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: it.Line}
			}
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || !isBool(n) {
			k.add(n.Line, path, "%s is not true or false", describe(n, path))
			return false
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			k.add(n.Line, path, "%s is not a whole number", describe(n, path))
			return false
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			k.add(n.Line, path, "want a single value, got %s", describe(n, path))
			return false
		}
	}
	return true
}

func (k *checker) walkMapping(n *yaml.Node, t reflect.Type, path string) bool {
	if n.Kind != yaml.MappingNode {
		k.add(n.Line, path, "want a mapping of fields (name: value), got %s", describe(n, path))
		return false
	}
	fields, rest := yamlFields(t)
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	k.walkPairs(n, path, func(key string) (reflect.Type, bool) {
		if ft, ok := fields[key]; ok {
			return ft, true
		}
		if rest != nil {
			return rest, true
		}
		return nil, false
	}, names...)
	return true
}

// walkPairs checks each key: value of a mapping, dropping unknown keys
// (reported with the closest of known) and bad values.
func (k *checker) walkPairs(n *yaml.Node, path string, typeOf func(string) (reflect.Type, bool), known ...string) {
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		ft, ok := typeOf(key.Value)
		if !ok {
			msg := fmt.Sprintf("unknown field %q", key.Value)
			if s := suggest.Closest(key.Value, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
				k.suggested[joinPath(path, s)] = true
			}
			k.add(key.Line, path, "%s", msg)
			continue
		}
		sub := joinPath(path, key.Value)
		k.paths[key.Line] = sub
		k.lines[sub] = key.Line
		if _, ok := k.values[val.Line]; !ok && val.Kind == yaml.MappingNode {
			k.values[val.Line] = sub
		}
		if k.walk(val, ft, sub) {
			kept = append(kept, key, val)
		}
	}
	n.Content = kept
}

// yamlFields maps the YAML names of t's fields to their types, following
// `,inline` structs; rest is the value type of an inline map, if any.
func yamlFields(t reflect.Type) (fields map[string]reflect.Type, rest reflect.Type) {
	fields = map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Map {
				rest = ft.Elem()
				continue
			}
			sub, subRest := yamlFields(ft)
			for n, st := range sub {
				fields[n] = st
			}
			if subRest != nil {
				rest = subRest
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields, rest
}

// isBool accepts what the decoder reads as a boolean: YAML 1.2's
// true/false and YAML 1.1's yes/no/on/off.
func isBool(n *yaml.Node) bool {
	if n.ShortTag() == "!!bool" {
		return true
	}
	switch strings.ToLower(n.Value) {
	case "y", "yes", "n", "no", "on", "off":
		return n.Style == 0
	}
	return false
}

// describe names a node's value the way the user wrote it.
func describe(n *yaml.Node, path string) string {
	if strings.Contains(path+".", ".http.") && n.Kind == yaml.ScalarNode {
		return "a value (not shown: http: settings hold credentials)" // a password put in the wrong place is still a password
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

// decodeProblems turns the decoder's own messages ("line 7: cannot
// unmarshal …") into file:line: field: … problems.
func (k *checker) decodeProblems(err error) {
	te, ok := err.(*yaml.TypeError)
	if !ok {
		k.add(0, "", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	for _, e := range te.Errors {
		var line int
		if _, scanErr := fmt.Sscanf(e, "line %d:", &line); scanErr != nil {
			k.problems = append(k.problems, problem{msg: k.file + ": " + e})
			continue
		}
		_, msg, _ := strings.Cut(e, ": ")
		path := k.paths[line]
		if rest, ok := strings.CutPrefix(msg, httpErrPrefix); ok {
			msg, path = rest, k.values[line]
		}
		k.add(line, path, "%s", msg)
	}
}

// sortProblems orders problems by line; file-wide ones (line 0) last.
func sortProblems(ps []problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].line, ps[j].line
		if (a == 0) != (b == 0) {
			return b == 0
		}
		return a < b
	})
}
