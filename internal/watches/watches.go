// Package watches reads watches.yaml, the Operator SDK file that maps a
// custom resource kind to the Helm chart that renders it.
package watches

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// Watch maps one GroupVersionKind to a chart, as in the Operator SDK's
// helm-operator format.
type Watch struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
	// Chart is a chart directory or archive; a relative path is taken from
	// the directory holding watches.yaml.
	Chart string `json:"chart"`
}

// GroupVersionKind of the watched resource.
func (w Watch) GroupVersionKind() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: w.Group, Version: w.Version, Kind: w.Kind}
}

// Load reads the watches file at path.
func Load(path string) ([]Watch, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ws []Watch
	if err := yaml.UnmarshalStrict(data, &ws); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	for i := range ws {
		w := &ws[i]
		if w.Group == "" || w.Version == "" || w.Kind == "" || w.Chart == "" {
			return nil, fmt.Errorf("%s: entry %d needs group, version, kind and chart", path, i)
		}
		if !filepath.IsAbs(w.Chart) {
			w.Chart = filepath.Join(filepath.Dir(path), w.Chart)
		}
	}
	return ws, nil
}

// ChartFor returns the chart mapped to gvk.
func ChartFor(ws []Watch, gvk schema.GroupVersionKind) (string, error) {
	for _, w := range ws {
		if w.GroupVersionKind() == gvk {
			return w.Chart, nil
		}
	}
	return "", fmt.Errorf("watches.yaml maps no chart to %s", gvk)
}
