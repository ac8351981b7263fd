package main

import (
	"context"
	"fmt"
	"os"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// newRunner builds the action runner shared by the CLI and the UI: writes
// through the hub, verifying polls of the same entries, the audit log at
// --audit-log or the default path (audit-demo.log with --demo). The returned func closes the log.
func newRunner(o *options, getenv func(string) string, hub *sources.Hub) (*actions.Runner, func(), error) {
	path, err := o.auditPath(getenv)
	if err != nil {
		return nil, nil, err
	}
	log, err := actions.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (choose another file with --audit-log PATH)", err)
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	r := &actions.Runner{
		Do: hub.Do,
		// Sanitized like the Store's: the verifying poll's reason is
		// printed, and the target's name is matched in the form shown.
		Poll: func(ctx context.Context, name string) model.Snapshot {
			return model.SanitizeSnapshot(hub.PollNow(ctx, name))
		},
		Log:  log,
		User: actions.CurrentUser(getenv),
		Host: host,
	}
	return r, func() { _ = log.Close() }, nil
}
