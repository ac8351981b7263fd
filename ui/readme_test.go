package ui

import (
	"os"
	"testing"

	"github.com/lbtop/lbtop/internal/readme"
)

// TestREADMEKeyTable checks the README's keybindings table is the one
// `go generate ./ui` writes from the key map (the generator owns it; this
// test only says when it was not run).
func TestREADMEKeyTable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readme.Section(string(b), READMEKeysSection)
	if err != nil {
		t.Fatal(err)
	}
	if want := READMEKeys(); got != want {
		t.Errorf("README.md's key table is out of date: run go generate ./ui\ngot:\n%s\nwant:\n%s", got, want)
	}
}
