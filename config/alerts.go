package config

import (
	"errors"
	"fmt"

	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lbtop/lbtop/model"
)

// Alert is one entry of the `alerts:` list:
//
//   - name: checkout-capacity
//     pools: "^checkout"          # regular expression on the pool name
//     when: healthy_ratio < 0.8   # METRIC OP NUMBER
//     for: 30s                    # must hold this long before firing
type Alert struct {
	Name  string `yaml:"name"`
	Pools string `yaml:"pools"`
	When  string `yaml:"when"`
	For   string `yaml:"for"`

	// Rule is the compiled rule, filled by Validate.
	Rule model.AlertRule `yaml:"-"`

	line  int            // line of the list item
	lines map[string]int // line of each key
}

var alertKeys = []string{"name", "pools", "when", "for"}

// UnmarshalYAML decodes one rule, remembering the line of each key so an
// error points at the line to fix, and refusing unknown keys.
func (a *Alert) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: alerts: each rule is a mapping with name, pools, when, for", n.Line)
	}
	a.line, a.lines = n.Line, map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var dst *string
		switch k.Value {
		case "name":
			dst = &a.Name
		case "pools":
			dst = &a.Pools
		case "when":
			dst = &a.When
		case "for":
			dst = &a.For
		default:
			return fmt.Errorf("line %d: field %s not found in alert rule (want %s)", k.Line, k.Value, strings.Join(alertKeys, ", "))
		}
		if err := v.Decode(dst); err != nil {
			return fmt.Errorf("line %d: alert rule %s: %w", v.Line, k.Value, err)
		}
		a.lines[k.Value] = k.Line
	}
	return nil
}

// validateAlerts compiles every rule; errors read
// `lbtop.yaml:12: alerts[0].when: unknown metric "healthy_ratoi" (…)`.
func (c *Config) validateAlerts() []error {
	var errs []error
	names := map[string]int{}
	for i := range c.Alerts {
		a := &c.Alerts[i]
		r, err := model.ParseAlertRule(a.Name, a.Pools, a.When, a.For)
		if err != nil {
			field := "name"
			var fe *model.AlertFieldError
			if errors.As(err, &fe) {
				field, err = fe.Field, fe.Err
			}
			errs = append(errs, c.alertErr(i, field, err))
			continue
		}
		if j, dup := names[r.Name]; dup {
			errs = append(errs, c.alertErr(i, "name", fmt.Errorf("%q is already used by alerts[%d]", r.Name, j)))
		}
		names[r.Name] = i
		a.Rule = r
	}
	return errs
}

func (c *Config) alertErr(i int, field string, err error) error {
	a := c.Alerts[i]
	line := a.line
	if l, ok := a.lines[field]; ok {
		line = l
	}
	return fmt.Errorf("%s: alerts[%d].%s: %w", c.where(line), i, field, err)
}

// AlertRules returns the compiled rules in file order.
func (c *Config) AlertRules() []model.AlertRule {
	out := make([]model.AlertRule, 0, len(c.Alerts))
	for _, a := range c.Alerts {
		out = append(out, a.Rule)
	}
	return out
}
