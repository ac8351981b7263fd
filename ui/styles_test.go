package ui

import (
	"image/color"
	"reflect"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
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

// TestStylesUsePaletteColors guards what lbtop serve's painter relies on
// (cmd/lbtop/serve_paint.go): the dashboard paints with the 256-color
// palette only, so a 256-color terminal shows its colors as they are and
// no cell needs converting.
func TestStylesUsePaletteColors(t *testing.T) {
	set := reflect.ValueOf(lipglossStyles(false))
	for i := range set.NumField() {
		s := set.Field(i).Interface().(lipgloss.Style)
		for _, c := range []color.Color{s.GetForeground(), s.GetBackground()} {
			switch c.(type) {
			case nil, lipgloss.NoColor, ansi.BasicColor, ansi.IndexedColor:
			default:
				t.Errorf("%s uses %T %v: want a palette color (ansi.BasicColor or ansi.IndexedColor)", set.Type().Field(i).Name, c, c)
			}
		}
	}
}
