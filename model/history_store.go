package model

// History returns the store's history, which observes every fleet the
// store builds (a deferred call at the top of Fleet). It is created with
// the defaults (30 min window, 2 s resolution) on first use; UseHistory
// sets another.
func (s *Store) History() *History {
	if s.hist == nil {
		s.hist = NewHistory(0, 0)
	}
	return s.hist
}

// UseHistory makes the store record into h (a window or resolution other
// than the defaults, alert rules). Call it before the first Ingest.
func (s *Store) UseHistory(h *History) { s.hist = h }

// observe feeds the history a fleet just built, with each source's
// backends in the order it reported them.
func (s *Store) observe(f *Fleet) {
	s.History().observe(f, func(source string, fn func(pool string, b *Backend)) {
		st := s.sources[source]
		s.eachBackend(source, func(pi int, b *Backend) { fn(st.pools[pi].Name, b) })
	})
}
