package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/ui"
)

// Log keys.
const (
	logSource = "source"
	logErr    = "err"
	logTook   = "took"
)

// runOnce polls every source once and prints the fleet.
func runOnce(ctx context.Context, entries []sources.Entry, format string, stdout, stderr io.Writer) int {
	hub, err := sources.NewHub(entries)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	store := model.NewStore(nil)
	var fleet *model.Fleet
	for _, snap := range hub.PollAll(ctx) {
		fleet = store.Ingest(snap)
		if snap.Err != nil {
			fmt.Fprintf(stderr, "lbtop: %s: %v\n", snap.Source, snap.Err)
		}
	}
	if fleet == nil {
		fleet = store.Fleet()
	}
	if err := writeOnce(stdout, fleet, format); err != nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	return onceExit(fleet)
}

// runTUI runs the dashboard until the user quits or ctx ends.
func runTUI(ctx context.Context, entries []sources.Entry, readOnly, noColor bool, log *slog.Logger, stderr io.Writer) int {
	hub, err := sources.NewHub(entries)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := tea.NewProgram(ui.New(hub, ui.Options{ReadOnly: readOnly, NoColor: noColor}), tea.WithContext(ctx))
	store := model.NewStore(nil)
	for _, e := range entries {
		store.Register(e.Source.Name(), e.Source.Kind())
	}
	snaps := hub.Run(ctx)
	go engine(store, snaps, p.Send, log)
	if _, err := p.Run(); err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	return exitOK
}

// engine owns the Store: it merges every snapshot off the UI goroutine and
// hands the UI each new immutable fleet.
// The first fleet lists the sources as connecting. send blocks until the
// program runs, so this must not run on main's goroutine before p.Run.
func engine(store *model.Store, snaps <-chan model.Snapshot, send func(tea.Msg), log *slog.Logger) {
	send(ui.FleetMsg{Fleet: store.Fleet()})
	for snap := range snaps {
		if snap.Err != nil {
			log.Warn("poll failed", logSource, snap.Source, logErr, snap.Err, logTook, snap.Took)
		}
		send(ui.FleetMsg{Fleet: store.Ingest(snap)})
	}
}
