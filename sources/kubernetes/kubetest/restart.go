package kubetest

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
)

// apiServer returns the running kube-apiserver process.
func (c *Cluster) apiServer() (int, *proc, error) {
	for i, p := range c.procs {
		if p.name == "kube-apiserver" {
			return i, p, nil
		}
	}
	return 0, nil, errors.New("no kube-apiserver is running")
}

// KillAPIServer kills the kube-apiserver with SIGKILL, as a crash or an
// OOM kill would, and waits until it has exited. etcd keeps running.
// restart starts the API server again with the arguments of the first
// start (the same port, certificates and tokens) and waits until it is
// ready; call it at most once.
func (c *Cluster) KillAPIServer() (restart func(context.Context) error, err error) {
	i, p, err := c.apiServer()
	if err != nil {
		return nil, err
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	c.procs = slices.Delete(c.procs, i, i+1)
	return func(ctx context.Context) error {
		if err := c.run(p.cmd.Path, p.name, p.cmd.Args[1:]...); err != nil {
			return err
		}
		_, err := c.waitReady(ctx, c.Config.Host, c.Config.BearerToken, filepath.Join(c.dir, "certs", "apiserver.crt"))
		return err
	}, nil
}
