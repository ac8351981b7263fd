package main

import (
	"io"
	"strings"
)

// verbMain is the process entry of a command that parses its own flags.
type verbMain func(args []string, getenv func(string) string, stdout, stderr io.Writer) int

// ownVerbs are the commands with flags of their own; the action verbs
// (drain, ready, maint, weight) share the dashboard's flag set instead.
var ownVerbs = map[string]verbMain{
	whyVerb:  runWhyMain,
	"watch":  withSignals(runWatch),
	"replay": withSignals(runReplay),
	"serve":  serveMain,
}

// ownVerbNames lists ownVerbs for suggestions ("did you mean"); a list of
// its own, since ownVerbs' functions lead back to the suggestion code.
var ownVerbNames = []string{whyVerb, "watch", "replay", "serve"}

// ownVerb finds the command word: the first argument that is neither a
// flag nor a flag's value, so that `lbtop --haproxy X why web` is
// `lbtop why web --haproxy X`. When it names a command of ownVerbs it
// returns that command's entry and the arguments with the command moved
// first.
func ownVerb(args []string, getenv func(string) string) (verbMain, []string, bool) {
	fs, err := (&options{set: map[string]bool{}}).flagSet(getenv)
	if err != nil {
		return nil, nil, false
	}
	(&actionOpts{}).register(fs)
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return nil, nil, false
		case strings.HasPrefix(a, "-") && len(a) > 1:
			if takesValue(fs, a) {
				i++ // its value
			}
			continue
		}
		run, ok := ownVerbs[a]
		if !ok {
			return nil, nil, false
		}
		rest := append(append([]string{a}, args[:i:i]...), args[i+1:]...)
		return run, rest, true
	}
	return nil, nil, false
}

// serveMain is `lbtop serve`'s entry: its flags come after the verb.
func serveMain(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runServeMain(args[1:], getenv, stdout, stderr)
}
