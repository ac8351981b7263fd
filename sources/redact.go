package sources

import (
	"net/url"
	"strings"
)

// RedactURL renders an address for messages and logs without anything
// that may be a secret: the user and password before the host, the query
// and the fragment. It works on text that does not parse as a URL (a bad
// %-escape in a password) by removing everything between "://" (or the
// start) and the last '@', so a password is never echoed, whatever its
// bytes. Text without '@', '?' or '#' comes back unchanged.
func RedactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" && u.Opaque == "" {
		c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
		return c.String()
	}
	prefix, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		prefix, rest = raw[:i+3], raw[i+3:]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	return prefix + rest
}
