package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// probeEvery is how often the source asks the API server whether it is
// ready, and how long it waits for the answer.
const probeEvery = time.Second

// serverState is what the last probe of the API server found.
type serverState struct {
	err   error     // nil while the server answers
	since time.Time // when it stopped answering
}

// watchServer probes the API server's /readyz every probeEvery until ctx
// ends. client-go's reflectors retry a refused watch quietly, with
// back-off, and never report it: without this a dead API server would
// leave the caches frozen and the source looking healthy. Poll fails while
// the probe does, so the screen greys the source with the reason.
func (s *Source) watchServer(ctx context.Context) {
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		tick := time.NewTicker(probeEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			pctx, cancel := context.WithTimeout(ctx, probeEvery)
			err := s.client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(pctx).Error()
			cancel()
			if ctx.Err() != nil {
				return
			}
			s.mu.Lock()
			switch {
			case err == nil:
				s.server = serverState{}
			case s.server.err == nil:
				s.server = serverState{err: err, since: time.Now()}
			default:
				s.server.err = err
			}
			s.mu.Unlock()
		}
	}()
}

// serverDown returns why the API server is not answering, or nil.
func (s *Source) serverDown() error {
	s.mu.Lock()
	st := s.server
	s.mu.Unlock()
	if st.err == nil {
		return nil
	}
	err := st.err
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the probe's URL says nothing the message does not
	}
	return fmt.Errorf("kubernetes %s: API server not answering since %s (data frozen since): %w", s.name, st.since.Format(time.TimeOnly), err)
}
