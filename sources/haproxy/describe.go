package haproxy

import (
	"fmt"
	"strconv"

	"github.com/lbtop/lbtop/model"
)

// Describe says exactly what an action sends, without sending it: the
// runtime API command and the address it goes to, for --dry-run and the
// confirmation. It refuses what SetState and SetWeight refuse.
func (s *Source) Describe(a model.Action) (string, error) {
	target, err := serverRef(a.Ref)
	if err != nil {
		return "", fmt.Errorf("haproxy %s: %w", s.addr, err)
	}
	var cmd string
	switch a.Kind {
	case model.ActionDrain, model.ActionReady, model.ActionMaint:
		cmd = "set server " + target + " state " + a.Kind.String()
	case model.ActionWeight:
		cmd = "set server " + target + " weight " + strconv.Itoa(a.Weight)
	default:
		return "", fmt.Errorf("haproxy %s: cannot %s", s.addr, a.Kind)
	}
	return "HAProxy runtime API " + s.addr + ": " + strconv.Quote(cmd), nil
}
