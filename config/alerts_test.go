package config

import (
	"strings"
	"testing"
	"time"
)

func TestAlertRules(t *testing.T) {
	t.Parallel()
	const good = `sources:
  - kind: haproxy
    address: 127.0.0.1:9999
alerts:
  - name: checkout-capacity
    pools: "^checkout"
    when: healthy_ratio < 0.8
    for: 30s
  - name: errors
    when: err_ratio > 0.05
`
	c, err := Parse("lbtop.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	rules := c.AlertRules()
	if len(rules) != 2 || rules[0].For != 30*time.Second || rules[0].String() != "healthy_ratio < 0.8 for 30s" || rules[1].Pools != nil {
		t.Errorf("rules %+v", rules)
	}
	for _, tc := range []struct{ name, alerts, want string }{
		{"misspelt metric", "  - name: a\n    when: healthy_ratoi < 0.8\n", `lbtop.yaml:6: alerts[0].when: unknown metric "healthy_ratoi"`},
		{"bad regexp on its line", "  - name: a\n    pools: \"(\"\n    when: healthy < 1\n", "lbtop.yaml:6: alerts[0].pools: bad regular expression"},
		{"bad for", "  - name: a\n    when: healthy < 1\n    for: soon\n", `lbtop.yaml:7: alerts[0].for: "soon" is not a duration`},
		{"missing name", "  - when: healthy < 1\n", "lbtop.yaml:5: alerts[0].name: missing"},
		{"duplicate name", "  - name: a\n    when: healthy < 1\n  - name: a\n    when: active > 1\n", `lbtop.yaml:7: alerts[1].name: "a" is already used by alerts[0]`},
		{"unknown key", "  - name: a\n    when: healthy < 1\n    severity: high\n", `lbtop.yaml:7: alerts[0]: unknown field "severity"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := "sources:\n  - kind: haproxy\n    address: 127.0.0.1:9999\nalerts:\n" + tc.alerts
			_, err := Parse("lbtop.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant %q", err, tc.want)
			}
		})
	}
}
