// Package chart renders the etcd-cluster Helm chart into Kubernetes objects
// with Helm's own engine, so that the operator applies exactly what
// `helm template` would print for the same values.
package chart

import (
	"fmt"
	"path"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// Renderer renders one chart. It parses the chart once; Render is safe for
// concurrent use because the parsed chart is never modified.
type Renderer struct {
	chart *chart.Chart
}

// Load parses the chart at path (a directory or a packaged .tgz).
func Load(path string) (*Renderer, error) {
	c, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", path, err)
	}
	return &Renderer{chart: c}, nil
}

// Chart returns the parsed chart's metadata.
func (r *Renderer) Chart() *chart.Metadata { return r.chart.Metadata }

// Release names the rendered release: the cluster's name and namespace.
type Release struct {
	Name      string
	Namespace string
}

// Render renders the chart for values (merged over the chart's defaults and
// checked against values.schema.json) and returns the objects in Helm's
// install order.
func (r *Renderer) Render(rel Release, values map[string]any) ([]*unstructured.Unstructured, error) {
	top, err := chartutil.ToRenderValues(r.chart, values, chartutil.ReleaseOptions{
		Name:      rel.Name,
		Namespace: rel.Namespace,
		IsInstall: true,
	}, nil)
	if err != nil {
		return nil, err
	}
	if release, ok := top["Release"].(map[string]any); ok {
		release["Service"] = resources.ManagedBy
	}
	files, err := engine.Render(r.chart, top)
	if err != nil {
		return nil, err
	}
	manifests := map[string]string{}
	for name, content := range files {
		if isRenderedManifest(name) {
			manifests[name] = content
		}
	}
	hooks, sorted, err := releaseutil.SortManifests(manifests, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}
	if len(hooks) > 0 {
		return nil, fmt.Errorf("chart %s has hooks, which the operator does not run", r.chart.Name())
	}
	objs := make([]*unstructured.Unstructured, 0, len(sorted))
	for _, m := range sorted {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(m.Content), &obj.Object); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", m.Name, err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		obj.SetNamespace(rel.Namespace)
		objs = append(objs, obj)
	}
	return objs, nil
}

// isRenderedManifest keeps template output and drops NOTES.txt and partials.
func isRenderedManifest(name string) bool {
	base := path.Base(name)
	return base != "NOTES.txt" && !strings.HasPrefix(base, "_")
}
