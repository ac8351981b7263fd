package main

import (
	"flag"
	"os"
	"testing"

	"github.com/lbtop/lbtop/internal/readme"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's flags table (go generate ./cmd/lbtop)")

// readmeFlagsSection names the README section generated from the flags.
const readmeFlagsSection = "flags"

// TestREADMEFlags checks the README's flags table is the one generated
// from the flag set and its groups; with -update-readme (go generate) it
// writes it.
func TestREADMEFlags(t *testing.T) {
	const path = "../../README.md"
	want := flagsMarkdown()
	if *updateREADME {
		if err := readme.Update(path, readmeFlagsSection, want); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readme.Section(string(b), readmeFlagsSection)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("README.md's flags table is out of date: run go generate ./cmd/lbtop\ngot:\n%s\nwant:\n%s", got, want)
	}
}
