package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/lbtop/lbtop/model"
)

// TestOnceTableColumns: every cell of every pool row starts at its
// heading's column, measured in display width, with wide (CJK) and
// escaped names; every pool is listed; the summary counts them.
func TestOnceTableColumns(t *testing.T) {
	t.Parallel()
	st := model.NewStore(nil)
	st.Register("lb1", model.KindHAProxy)
	st.Register("支付-lb", model.KindHAProxy)
	st.Register("dead", model.KindEnvoy)
	st.Ingest(model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, Pools: []model.Pool{
		{Name: "支付服务", Backends: []model.Backend{{Name: "a", Health: model.Healthy, Weight: 10, Active: 3}, {Name: "b", Health: model.Unhealthy, Reason: "L4CON", Weight: 10}}},
		{Name: `web\x1b[2J`, Backends: []model.Backend{{Name: "w1", Health: model.Down, Reason: "MAINT", Weight: 1}}},
		{Name: "ok", Backends: []model.Backend{{Name: "o1", Health: model.Healthy, Weight: 256, Active: 12345}}},
	}})
	st.Ingest(model.Snapshot{Source: "支付-lb", Kind: model.KindHAProxy, Pools: []model.Pool{
		{Name: "ｆｕｌｌｗｉｄｔｈ", Backends: []model.Backend{{Name: "x", Health: model.Healthy, Weight: -1}}},
	}})
	f := st.Ingest(model.Snapshot{Source: "dead", Kind: model.KindEnvoy, Err: errors.New("connection refused")})

	var buf bytes.Buffer
	if err := writeTable(&buf, f); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	checkColumns(t, lines, "SOURCE", map[string][]string{
		"lb1":   {"lb1", "haproxy", "3", "4", "ok"},
		"支付-lb": {"支付-lb", "haproxy", "1", "1", "ok"},
		"dead":  {"dead", "envoy", "0", "0", "ERROR: connection refused"},
	})
	checkColumns(t, lines, "POOL", map[string][]string{
		"支付服务":       {"支付服务", "haproxy", "lb1", "1/2", "10", "3", "mixed", "! 1 not healthy"},
		`web\x1b[2J`: {`web\x1b[2J`, "haproxy", "lb1", "0/1", "0", "0", "admin_down", "✘ no healthy upstream"},
		"ok":         {"ok", "haproxy", "lb1", "1/1", "256", "12345", "ok", ""},
		"ｆｕｌｌｗｉｄｔｈ":  {"ｆｕｌｌｗｉｄｔｈ", "haproxy", "支付-lb", "1/1", "0", "0", "ok", ""},
	})
	if !strings.Contains(out, "\n    b on lb1: unhealthy: L4CON; weight 10, active 0\n") || !strings.Contains(out, "\n    w1 on lb1: down: MAINT; weight 1, active 0\n") {
		t.Errorf("backends out of rotation not listed under their pools:\n%s", out)
	}
	if !strings.HasSuffix(out, "\n\n4 pools, 1 with no healthy backend, 1 source unreadable\n") {
		t.Errorf("summary:\n%s", out)
	}
}

// checkColumns finds the table whose header starts with first and checks
// that each row's cells start at the display column of their heading.
func checkColumns(t *testing.T, lines []string, first string, rows map[string][]string) {
	t.Helper()
	h := -1
	for i, l := range lines {
		if strings.HasPrefix(l, first+" ") {
			h = i
		}
	}
	if h < 0 {
		t.Fatalf("no %s header in\n%s", first, strings.Join(lines, "\n"))
	}
	header := lines[h]
	var starts []int
	for i, f := range strings.Fields(header) {
		col := ansi.StringWidth(header[:strings.Index(header, f)])
		if i > 0 && col <= starts[i-1] {
			t.Fatalf("header %q", header)
		}
		starts = append(starts, col)
	}
	seen := 0
	for _, l := range lines[h+1:] {
		if l == "" {
			break
		}
		if strings.HasPrefix(l, " ") {
			continue
		}
		for key, cells := range rows {
			if !strings.HasPrefix(l, key+" ") {
				continue
			}
			seen++
			for c, want := range cells {
				end := ansi.StringWidth(l)
				if c+1 < len(starts) {
					end = starts[c+1]
				}
				got := strings.TrimRight(ansi.Cut(l, starts[c], end), " ")
				if got != want {
					t.Errorf("row %q, column %d (%s): got %q, want %q\n%s\n%s", key, c, strings.Fields(header)[c], got, want, header, l)
				}
			}
		}
	}
	if seen != len(rows) {
		t.Errorf("%d of %d %s rows found:\n%s", seen, len(rows), first, strings.Join(lines, "\n"))
	}
}
