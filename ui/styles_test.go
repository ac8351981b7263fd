package ui

import (
	"reflect"
	"testing"

	"charm.land/lipgloss/v2"
)

// TestPaintMatchesLipGloss guards Paint's premise: for every style the UI
// uses, prefix + text + suffix is exactly what Lip Gloss renders.
func TestPaintMatchesLipGloss(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		set := reflect.ValueOf(lipglossStyles(noColor))
		for i := range set.NumField() {
			s := set.Field(i).Interface().(lipgloss.Style)
			for _, text := range []string{"x", "a  b ✘ 0/3 ", "  "} {
				if got, want := paintOf(s).Render(text), s.Render(text); got != want {
					t.Errorf("noColor=%v %s: Paint renders %q, Lip Gloss %q", noColor, set.Type().Field(i).Name, got, want)
				}
			}
		}
	}
}
