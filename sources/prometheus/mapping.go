package prometheus

import (
	"errors"
	"fmt"
	"strings"

	pmodel "github.com/prometheus/common/model"
)

// Mapping is a user-defined query set for an exporter lbtop has no preset
// for. Each query is an instant PromQL expression whose result series
// carry the pool, backend and (optionally) instance labels; results are
// joined on those labels. In YAML:
//
//	mappings:
//	  - name: myapp
//	    kind: custom
//	    pool_label: service
//	    backend_label: pod
//	    instance_label: instance
//	    health: max by (instance, service, pod) (myapp_backend_up)
//	    weight: max by (instance, service, pod) (myapp_backend_weight)
//	    active: sum by (instance, service, pod) (myapp_backend_connections)
//	    req_rate: sum by (instance, service, pod) (rate(myapp_requests_total[1m]))
//	    err_rate: sum by (instance, service, pod) (rate(myapp_requests_total{code=~"5.."}[1m]))
type Mapping struct {
	// Name identifies the mapping in messages; unique per source.
	Name string `yaml:"name" json:"name"`
	// Kind names the system the pools come from ("custom" when empty),
	// shown in notes.
	Kind string `yaml:"kind,omitempty" json:"kind,omitempty"`

	// PoolLabel and BackendLabel name the labels that identify a pool
	// and a backend in it; both are required.
	PoolLabel    string `yaml:"pool_label" json:"pool_label"`
	BackendLabel string `yaml:"backend_label" json:"backend_label"`
	// InstanceLabel names the label of the proxy that reported the
	// backend; "instance" when empty, "-" for none.
	InstanceLabel string `yaml:"instance_label,omitempty" json:"instance_label,omitempty"`

	// Health is required: 1 means healthy, 0 unhealthy; other values
	// read as unknown.
	Health string `yaml:"health" json:"health"`
	// Weight, Active, ReqRate (per second) and ErrRate (5xx per second)
	// are optional.
	Weight  string `yaml:"weight,omitempty" json:"weight,omitempty"`
	Active  string `yaml:"active,omitempty" json:"active,omitempty"`
	ReqRate string `yaml:"req_rate,omitempty" json:"req_rate,omitempty"`
	ErrRate string `yaml:"err_rate,omitempty" json:"err_rate,omitempty"`
}

// Validate checks that the mapping names itself, its labels and its health
// query. The error names the offending field. PromQL syntax is checked by
// the server on the first poll.
func (m Mapping) Validate() error {
	if strings.TrimSpace(m.Name) == "" {
		return errors.New("mapping: name is missing")
	}
	where := fmt.Sprintf("mapping %q", m.Name)
	labels := []struct{ field, value string }{
		{"pool_label", m.PoolLabel},
		{"backend_label", m.BackendLabel},
	}
	for _, l := range labels {
		if l.value == "" {
			return fmt.Errorf("%s: %s is missing: name the label that identifies the %s", where, l.field, strings.TrimSuffix(l.field, "_label"))
		}
		if !pmodel.UTF8Validation.IsValidLabelName(l.value) {
			return fmt.Errorf("%s: %s %q is not a valid label name", where, l.field, l.value)
		}
	}
	if m.PoolLabel == m.BackendLabel {
		return fmt.Errorf("%s: pool_label and backend_label are both %q: they must differ", where, m.PoolLabel)
	}
	if il := m.InstanceLabel; il != "" && il != "-" && !pmodel.UTF8Validation.IsValidLabelName(il) {
		return fmt.Errorf("%s: instance_label %q is not a valid label name", where, il)
	}
	if strings.TrimSpace(m.Health) == "" {
		return fmt.Errorf("%s: health is missing: give a PromQL query whose value is 1 for a healthy backend and 0 for an unhealthy one", where)
	}
	return nil
}

// instanceLabel resolves the default and the "-" (none) spelling.
func (m Mapping) instanceLabel() string {
	switch m.InstanceLabel {
	case "":
		return "instance"
	case "-":
		return ""
	}
	return m.InstanceLabel
}

// spec turns a validated mapping into queries to run.
func (m Mapping) spec() spec {
	kind := m.Kind
	if kind == "" {
		kind = "custom"
	}
	sp := spec{
		name: "mapping " + m.Name, kind: kind, mode: modeBinary,
		pool: m.PoolLabel, backend: m.BackendLabel, instance: m.instanceLabel(),
		queries: []query{{figHealth, m.Health}},
	}
	for _, q := range []query{{figWeight, m.Weight}, {figActive, m.Active}, {figReqRate, m.ReqRate}, {figErrRate, m.ErrRate}} {
		if strings.TrimSpace(q.expr) != "" {
			sp.queries = append(sp.queries, q)
		}
	}
	return sp
}
