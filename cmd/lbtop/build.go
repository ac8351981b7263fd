package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/lbtop/lbtop/config"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/demo"
	"github.com/lbtop/lbtop/sources/envoy"
	"github.com/lbtop/lbtop/sources/haproxy"
	"github.com/lbtop/lbtop/sources/kubernetes"
	"github.com/lbtop/lbtop/sources/nginx"
	"github.com/lbtop/lbtop/sources/prometheus"
)

// buildEntries turns validated config into polling entries. The returned
// cleanup releases whatever the sources hold; call it once.
func buildEntries(ctx context.Context, c *config.Config) ([]sources.Entry, func(), error) {
	var (
		entries []sources.Entry
		closers []io.Closer
	)
	cleanup := func() {
		for _, cl := range closers {
			_ = cl.Close()
		}
	}
	for _, s := range c.Sources {
		src, err := buildSource(ctx, s)
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("source %q: %w", s.Name, err)
		}
		if cl, ok := src.(io.Closer); ok { // sources holding resources (informers)
			closers = append(closers, cl)
		}
		entries = append(entries, sources.Entry{Source: src, Interval: s.Interval, Timeout: s.Timeout, ReadOnly: s.ReadOnly, MergeAs: s.MergeAs})
	}
	return entries, cleanup, nil
}

func buildSource(ctx context.Context, s config.Source) (sources.Source, error) {
	var client *http.Client
	if s.HTTP != nil {
		var err error
		if client, err = sources.NewHTTPClient(s.Name, s.HTTP.HTTPClientConfig); err != nil {
			return nil, err
		}
	}
	// Every HTTP source reads through the same policy: byte limit and
	// redirect rule (sources.Policy), whatever its http: block says.
	client = sources.Policy{MaxResponseBytes: s.MaxResponseBytes, FollowRedirects: s.FollowRedirects}.HTTPClient(client)
	switch s.Kind {
	case model.KindHAProxy:
		src := haproxy.New(s.Name, s.Address)
		src.MaxResponseBytes = s.MaxResponseBytes
		return src, nil
	case model.KindEnvoy:
		return envoy.New(s.Name, s.Address, client), nil
	case model.KindNGINX:
		return nginx.New(s.Name, s.Address, client), nil
	case model.KindPrometheus:
		return prometheus.New(s.Name, s.Address, client, prometheus.Options{Presets: s.Presets, Mappings: s.Mappings})
	case model.KindKubernetes:
		return kubernetes.New(ctx, kubernetes.Options{Name: s.Name, Kubeconfig: s.Kubeconfig, Context: s.Context, Namespaces: s.Namespaces, GateCondition: s.GateCondition})
	}
	return nil, fmt.Errorf("unknown kind %q", s.Kind)
}

// startDemo starts the simulated fleet and adds its endpoints as ordinary
// sources, so the demo exercises the same code as production.
func startDemo(ctx context.Context, c *config.Config, seed int64) (*demo.Fleet, error) {
	f, err := demo.Start(ctx, demo.Options{Seed: seed})
	if err != nil {
		return nil, fmt.Errorf("demo fleet: %w", err)
	}
	if err := addDemoSources(c, f); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return f, nil
}

// addDemoSources adds the demo fleet's endpoints to c as ordinary sources.
func addDemoSources(c *config.Config, f *demo.Fleet) error {
	c.Sources = append(c.Sources,
		config.Source{Kind: model.KindHAProxy, Name: "demo-haproxy", Address: f.HAProxyAddr()},
		config.Source{Kind: model.KindEnvoy, Name: "demo-envoy", Address: f.EnvoyURL()},
		config.Source{Kind: model.KindNGINX, Name: "demo-nginx", Address: f.NGINXURL()},
		config.Source{Kind: model.KindPrometheus, Name: "demo-prometheus", Address: f.PrometheusURL()},
	)
	return c.Validate()
}
