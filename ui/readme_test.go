package ui

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEKeyTable keeps the README's keybindings table generated from
// the key map: change keys.go, then paste KeyMarkdown's output.
func TestREADMEKeyTable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := KeyMarkdown(KeyHelp(false))
	if !strings.Contains(string(b), want) {
		t.Errorf("README.md's key table is out of date; it should contain:\n%s", want)
	}
}
