package ui

import (
	"sort"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
)

// maxJumpHints bounds the completions shown on the prompt line.
const maxJumpHints = 4

// jumpMatches returns the names of pools starting with prefix (case
// insensitive), sorted, without duplicates (a name on several kinds
// appears once).
func (m *Model) jumpMatches(prefix string) []string {
	if m.fleet == nil {
		return nil
	}
	lp := strings.ToLower(prefix)
	seen := map[string]bool{}
	var out []string
	for i := range m.fleet.Pools {
		n := m.fleet.Pools[i].Name
		if strings.HasPrefix(strings.ToLower(n), lp) && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// jumpKey edits the `:` prompt: tab completes to the longest common
// prefix of the matching names, enter moves the cursor to the pool.
func (m Model) jumpKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "tab":
		if ms := m.jumpMatches(m.input.text); len(ms) > 0 {
			m.input.text = commonPrefix(ms)
		}
		return m, nil
	case "enter":
		m.input.mode = inputNone
		return m.jumpTo(m.input.text)
	}
	return m.inputKey(msg)
}

// jumpTo puts the cursor on the pool named name (exactly, else the only
// or first name it begins), clearing a filter or problems-only view that
// hides it.
func (m Model) jumpTo(name string) (tea.Model, tea.Cmd) {
	m.input.text = ""
	target := ""
	for _, n := range m.jumpMatches(name) {
		if strings.EqualFold(n, name) || target == "" {
			target = n
		}
		if strings.EqualFold(n, name) {
			break
		}
	}
	if target == "" {
		return m.setStatus(StatusWarn, "no pool named "+name+"…", 0)
	}
	if !m.cursorToPool(target) {
		m.pools.query.Filter, m.pools.query.ProblemsOnly = "", false
		m.selectPools(false)
		m.cursorToPool(target)
	}
	return m, nil
}

// cursorToPool moves the cursor to the first listed pool named name.
func (m *Model) cursorToPool(name string) bool {
	return m.pools.toPool(m.fleet, m.bodyRowsFor(screenPools), func(p *model.PoolRow) bool { return p.Name == name })
}

// jumpPrompt is the message line while typing a pool name after `:`.
func (m *Model) jumpPrompt(w int) string {
	ms := m.jumpMatches(m.input.text)
	hint := "no pool starts so"
	switch {
	case len(ms) == 1:
		hint = "enter jumps to " + ms[0]
	case len(ms) > 1:
		shown := ms[:min(len(ms), maxJumpHints)]
		hint = strings.Join(shown, " ")
		if len(ms) > len(shown) {
			hint += " …"
		}
		hint += " · tab completes"
	}
	return clip(":"+m.input.text+"▏"+m.st.Dim.Render("  "+hint+" · esc cancels"), w)
}

// commonPrefix is the longest prefix all of ss share (ss not empty).
func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}
