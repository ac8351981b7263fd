package kubetest

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// crds are the Gateway API standard-channel CRDs the tests need, copied
// from the sigs.k8s.io/gateway-api module (see testdata/crd/README.md).
//
//go:embed testdata/crd/*.yaml
var crds embed.FS

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installCRDs creates the embedded CRDs and waits until HTTPRoutes are
// served by discovery.
func (c *Cluster) installCRDs(ctx context.Context) error {
	files, err := fs.Glob(crds, "testdata/crd/*.yaml")
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := crds.ReadFile(f)
		if err != nil {
			return err
		}
		dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			var obj unstructured.Unstructured
			if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return fmt.Errorf("decoding %s: %w", f, err)
			}
			if obj.Object == nil {
				continue
			}
			_, err := c.Dynamic.Resource(crdResource).Create(ctx, &obj, metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("creating CRD %s from %s: %w", obj.GetName(), f, err)
			}
		}
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		list, err := c.Client.Discovery().ServerResourcesForGroupVersion("gateway.networking.k8s.io/v1")
		if err == nil {
			for _, r := range list.APIResources {
				if r.Name == "httproutes" {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("HTTPRoute CRD not served after install (last error: %v): %w", err, ctx.Err())
		case <-tick.C:
		}
	}
}
