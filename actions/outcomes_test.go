package actions

import "testing"

// Outcomes checks that every action that reached its system has a "sent"
// line before its outcome line, and returns the outcome lines only.
func Outcomes(t testing.TB, es []Entry) []Entry {
	t.Helper()
	sent := map[string]int{}
	var out []Entry
	key := func(e Entry) string { return e.Source + "\x00" + e.Pool + "\x00" + e.Backend + "\x00" + e.Action }
	for _, e := range es {
		switch e.Result {
		case Sent:
			sent[key(e)]++
			continue
		case Confirmed, NotApplied:
			if sent[key(e)] == 0 {
				t.Errorf("outcome line without a sent line before it: %+v", e)
			}
			sent[key(e)]--
		}
		out = append(out, e)
	}
	return out
}
