package main

import (
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// uiFPS caps the renderer. Its ticker, not polling, dominates lbtop's idle
// CPU: watching 1,000 HAProxy servers at a 2 s interval measured 11 ms of
// CPU per second at 30 fps and 6 ms at 10 fps (hatop: 14 ms, same window).
// 20 fps keeps typing within 50 ms while data changes every poll.
const uiFPS = 20

// Log keys.
const (
	logSource = "source"
	logErr    = "err"
	logTook   = "took"
)

// newStore returns a store that knows every source before its first poll
// (so the status bar lists it as connecting) and its merge_as setting.
func newStore(entries []sources.Entry) *model.Store {
	store := model.NewStore(nil)
	for _, e := range entries {
		store.Register(e.Source.Name(), e.Source.Kind())
		store.MergeAs(e.Source.Name(), e.MergeAs)
	}
	return store
}
