package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

const usageHead = `lbtop — live load-balancer upstream health in your terminal

Usage:
  lbtop --demo                                  the dashboard on a built-in demo fleet
  lbtop SOURCES [flags]                         the live dashboard
  lbtop SOURCES --once [-o table|json] [--strict]
                                                poll once, print, exit
  lbtop drain|ready|maint POOL/BACKEND SOURCES [action flags]
  lbtop weight N POOL/BACKEND SOURCES [action flags]
                                                act, verify by re-poll, audit (docs/actions.md)
  lbtop proxy-fail|proxy-ok NAME SOURCES [--reason TEXT] [--yes] [--dry-run]
                                                fail (restore) the health check of the whole
                                                Envoy proxy of source NAME (the dashboard's F)
  lbtop why [POOL] SOURCES                      why POOL (or every pool with a problem) is in its state
  lbtop watch SOURCES [-o jsonl|text] [--bell] [--record FILE]
                                                one event per line until interrupted
  lbtop replay FILE [--at TIME] [--bell] | --at TIME --once [-o table|json] | --events [-o jsonl|text]
                                                a recording: the dashboard on it, one moment, or its events
  lbtop serve --listen ADDR --operator-keys FILE [--viewer-keys FILE] SOURCES
                                                one shared dashboard over SSH

The command (drain, ready, maint, weight, proxy-fail, proxy-ok, why, watch,
replay, serve) is the first argument that is not a flag; flags go anywhere:
lbtop --haproxy X drain web/web1 is lbtop drain web/web1 --haproxy X.

Exit codes: 0 ok (an action: confirmed); 1 usage error, bad config, no source
readable (with --strict: any source unreadable), or an action refused;
2 (--once) a pool has no healthy backend; 3 an action sent but not confirmed.
`

// flagDoc names a flag and the placeholder of its value in the usage.
type flagDoc struct{ name, arg string }

// flagGroups orders every flag for lbtop -h and the README's flags table
// (a test checks each flag is in exactly one group).
var flagGroups = []struct {
	title string
	flags []flagDoc
}{
	{"Sources (repeatable, any mix)", []flagDoc{
		{"haproxy", "ADDR"}, {"envoy", "URL"}, {"nginx", "URL"}, {"prometheus", "URL"},
		{"kube", ""}, {"kube-context", "NAME"}, {"kubeconfig", "FILE"}, {"namespace", "NS"},
		{"config", "FILE"}, {"demo", ""}, {"demo-seed", "N"},
	}},
	{"Polling and output", []flagDoc{
		{"interval", "DURATION"}, {"timeout", "DURATION"}, {"once", ""}, {"o", "table|json"},
		{"strict", ""}, {"read-only", ""}, {"log-file", "FILE"}, {"record", "FILE"}, {"bell", ""},
		{"memory-limit", "SIZE"},
	}},
	{"Actions (drain, ready, maint, weight; proxy-fail and proxy-ok take --reason, --yes, --dry-run, --audit-log; the dashboard's keys use --floor and --audit-log too)", []flagDoc{
		{"source", "NAME|all"}, {"reason", "TEXT"}, {"yes", ""}, {"force", ""}, {"dry-run", ""},
		{"floor", "SHARE"}, {"audit-log", "FILE"},
	}},
	{"Other", []flagDoc{{"version", ""}, {"h", ""}}},
}

// docFlagSet is every flag with its documented defaults (no environment).
func docFlagSet() *flag.FlagSet {
	o := &options{}
	fs, err := o.flagSet(func(string) string { return "" })
	if err != nil {
		panic(err) // no environment: cannot fail
	}
	(&actionOpts{}).register(fs)
	return fs
}

// flagLine returns "--interval DURATION" and its help with the default.
func flagLine(fs *flag.FlagSet, d flagDoc) (string, string) {
	name := flagName(d.name)
	if d.arg != "" {
		name += " " + d.arg
	}
	if d.name == "h" {
		return name, "this help"
	}
	f := fs.Lookup(d.name)
	_, help := flag.UnquoteUsage(f)
	switch f.DefValue {
	case "", "0", "false", "0s", "table":
	default:
		if !strings.Contains(help, "default") {
			help += " (default " + f.DefValue + ")"
		}
	}
	return name, help
}

// printUsage writes lbtop -h.
func printUsage(w io.Writer) {
	fs := docFlagSet()
	fmt.Fprint(w, usageHead)
	for _, g := range flagGroups {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, d := range g.flags {
			name, help := flagLine(fs, d)
			if len(name) > 24 {
				fmt.Fprintf(w, "  %s\n  %-24s  %s\n", name, "", help)
				continue
			}
			fmt.Fprintf(w, "  %-24s  %s\n", name, help)
		}
	}
}

// flagsMarkdown is the README's flags table.
func flagsMarkdown() string {
	fs := docFlagSet()
	esc := strings.NewReplacer("|", `\|`) // a | ends a table cell, even in code
	var sb strings.Builder
	sb.WriteString("| flag | meaning |\n|---|---|\n")
	for _, g := range flagGroups {
		sb.WriteString("| **" + g.title + "** | |\n")
		for _, d := range g.flags {
			name, help := flagLine(fs, d)
			sb.WriteString("| `" + esc.Replace(name) + "` | " + esc.Replace(help) + " |\n")
		}
	}
	return sb.String()
}

// versionText describes the binary from its build information: module
// version, VCS revision, commit time, uncommitted changes, Go version.
func versionText(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return fmt.Sprintf("lbtop (no build information) %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var vcs []string
	if rev := settings["vcs.revision"]; rev != "" {
		vcs = append(vcs, "commit "+rev)
	}
	if t := settings["vcs.time"]; t != "" {
		vcs = append(vcs, t)
	}
	if settings["vcs.modified"] == "true" {
		vcs = append(vcs, "modified")
	}
	line := "lbtop " + version
	if len(vcs) > 0 {
		line += " (" + strings.Join(vcs, ", ") + ")"
	}
	goos, goarch := settings["GOOS"], settings["GOARCH"]
	if goos == "" {
		goos, goarch = runtime.GOOS, runtime.GOARCH
	}
	return fmt.Sprintf("%s\nbuilt with %s %s/%s\n", line, bi.GoVersion, goos, goarch)
}

// printVerbUsage writes the -h of a command with flags of its own (watch,
// why, serve): its head, the flags fs has beyond lbtop's own, and the
// common flags that apply to cmd (flagUse), so none of them prints an
// empty help.
func printVerbUsage(w io.Writer, head, cmd string, fs *flag.FlagSet) {
	common := docFlagSet()
	fmt.Fprint(w, head)
	var own []string
	fs.VisitAll(func(f *flag.Flag) {
		if common.Lookup(f.Name) == nil {
			own = append(own, f.Name)
		}
	})
	if len(own) > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		for _, name := range own {
			f := *fs.Lookup(name)
			if cv, ok := f.Value.(checkedValue); ok {
				f.Value = cv.Value // its type names the value: duration, int
			}
			arg, help := flag.UnquoteUsage(&f)
			arg = strings.ToUpper(arg)
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
				help += " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(w, "  %-24s  %s\n", strings.TrimSpace(flagName(name)+" "+arg), help)
		}
	}
	also := []string{"--log-file"}
	for _, g := range flagGroups {
		for _, d := range g.flags {
			if use, ok := flagUse[d.name]; ok && slices.Contains(use, cmd) {
				also = append(also, flagName(d.name))
			}
		}
	}
	fmt.Fprintf(w, "\nSources as for the dashboard (--haproxy, --envoy, --nginx, --prometheus, --kube, --config, --demo;\n--interval, --timeout), and %s: see lbtop -h.\n", strings.Join(also, ", "))
}
