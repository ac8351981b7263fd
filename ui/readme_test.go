package ui

import (
	"os"
	"strings"
	"testing"

	"github.com/lbtop/lbtop/internal/readme"
	"github.com/lbtop/lbtop/model"
)

// TestREADMEKeyTable checks the README's key tables (the dashboard's and
// replay's) are the ones `go generate ./ui` writes from the key maps (the
// generator owns them; this test only says when it was not run).
func TestREADMEKeyTable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{READMEKeysSection: READMEKeys(), READMEReplayKeysSection: READMEReplayKeys()} {
		got, err := readme.Section(string(b), name)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("README.md's %s table is out of date: run go generate ./ui\ngot:\n%s\nwant:\n%s", name, got, want)
		}
	}
}

// TestREADMECauseTable keeps the README's "Why is there no healthy
// upstream?" table in step with the model's causes: one row each.
func TestREADMECauseTable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	causes := []model.Cause{
		model.CauseOK, model.CauseNoEndpoints, model.CauseNoMatchingPods, model.CausePodsNotReady,
		model.CauseTerminating, model.CauseHealthChecks, model.CauseRefused, model.CauseTimeout,
		model.CauseDNS, model.CauseOutlier, model.CauseMaxFails, model.CauseAdminDown,
		model.CauseZeroWeight, model.CausePanic, model.CauseOverloaded, model.CauseErrors,
		model.CauseWeightSkew, model.CauseImbalance, model.CauseFlapping, model.CauseSourceUnreachable,
		model.CauseMixed,
	}
	_, sec, ok := strings.Cut(string(b), "## Why is there no healthy upstream?")
	if !ok {
		t.Fatal("README.md lacks the section \"## Why is there no healthy upstream?\"")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	rows := strings.Count(sec, "\n| `")
	if rows != len(causes) {
		t.Errorf("the cause table has %d rows, the model %d causes", rows, len(causes))
	}
	for _, c := range causes {
		if !strings.Contains(sec, "\n| `"+string(c)+"` | ") {
			t.Errorf("the cause table lacks %s", c)
		}
	}
}
