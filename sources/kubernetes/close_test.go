package kubernetes_test

import (
	"io"

	"github.com/lbtop/lbtop/sources/kubernetes"
)

// The Source holds informers: it must be an io.Closer, or cmd/lbtop's
// cleanup (which looks for io.Closer) never stops them.
var _ io.Closer = (*kubernetes.Source)(nil)
