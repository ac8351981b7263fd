package suggest

import "testing"

func TestClosest(t *testing.T) {
	t.Parallel()
	verbs := []string{"drain", "ready", "maint", "weight"}
	fields := []string{"kind", "name", "address", "interval", "timeout", "read_only"}
	cases := []struct {
		word  string
		cands []string
		want  string
	}{
		{"drian", verbs, "drain"},
		{"wieght", verbs, "weight"},
		{"maitn", verbs, "maint"},
		{"redy", verbs, "ready"},
		{"web/web1", verbs, ""},
		{"xyz", verbs, ""},
		{"adress", fields, "address"},
		{"intervall", fields, "interval"},
		{"readonly", fields, "read_only"},
		{"kinf", fields, "kind"},
		{"sources", fields, ""},
	}
	for _, tc := range cases {
		if got := Closest(tc.word, tc.cands); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	cases := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "ab", 2}, {"drain", "drian", 1},
		{"kitten", "sitting", 3}, {"ä", "a", 1}, {"abc", "abc", 0},
	}
	for _, tc := range cases {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
