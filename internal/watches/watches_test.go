package watches

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

var etcdClusterGVK = schema.GroupVersionKind{Group: "etcd.etcd.io", Version: "v1alpha1", Kind: "EtcdCluster"}

// writeWatches writes content to watches.yaml in a new temporary directory
// and returns its path.
func writeWatches(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "watches.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	absChart := filepath.Join(t.TempDir(), "charts", "etcd-cluster")
	tests := []struct {
		name    string
		content string
		// wantChart is relative to the watches file's directory unless absolute.
		wantChart string
		wantErr   string
	}{
		{
			name: "relative chart path is taken from the file's directory",
			content: `- group: etcd.etcd.io
  version: v1alpha1
  kind: EtcdCluster
  chart: helm-charts/etcd-cluster
`,
			wantChart: "helm-charts/etcd-cluster",
		},
		{
			name: "dot-relative chart path is cleaned",
			content: `- group: etcd.etcd.io
  version: v1alpha1
  kind: EtcdCluster
  chart: ./charts/../helm-charts/etcd-cluster/
`,
			wantChart: "helm-charts/etcd-cluster",
		},
		{
			name: "absolute chart path is kept",
			content: `- group: etcd.etcd.io
  version: v1alpha1
  kind: EtcdCluster
  chart: ` + absChart + `
`,
			wantChart: absChart,
		},
		{
			name:    "missing chart",
			content: "- group: etcd.etcd.io\n  version: v1alpha1\n  kind: EtcdCluster\n",
			wantErr: "entry 0 needs group, version, kind and chart",
		},
		{
			name:    "missing group",
			content: "- version: v1alpha1\n  kind: EtcdCluster\n  chart: c\n",
			wantErr: "entry 0 needs",
		},
		{
			name:    "missing version",
			content: "- group: etcd.etcd.io\n  kind: EtcdCluster\n  chart: c\n",
			wantErr: "entry 0 needs",
		},
		{
			name:    "missing kind",
			content: "- group: etcd.etcd.io\n  version: v1alpha1\n  chart: c\n",
			wantErr: "entry 0 needs",
		},
		{
			name: "second entry incomplete",
			content: `- {group: etcd.etcd.io, version: v1alpha1, kind: EtcdCluster, chart: c}
- {group: etcd.etcd.io, version: v1alpha1, chart: c}
`,
			wantErr: "entry 1 needs",
		},
		{
			name: "unknown field",
			content: `- group: etcd.etcd.io
  version: v1alpha1
  kind: EtcdCluster
  chart: helm-charts/etcd-cluster
  watchDependentResources: false
`,
			wantErr: "watchDependentResources",
		},
		{
			name:    "misspelled field",
			content: "- group: etcd.etcd.io\n  version: v1alpha1\n  kind: EtcdCluster\n  chrat: c\n",
			wantErr: "chrat",
		},
		{
			name:    "not a list",
			content: "group: etcd.etcd.io\nversion: v1alpha1\nkind: EtcdCluster\nchart: c\n",
			wantErr: "parsing",
		},
		{
			name:    "duplicate key",
			content: "- group: etcd.etcd.io\n  group: other.io\n  version: v1alpha1\n  kind: EtcdCluster\n  chart: c\n",
			wantErr: "parsing",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeWatches(t, tt.content)
			ws, err := Load(path)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Load succeeded with %+v, want an error containing %q", ws, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %q, want it to contain %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("Load error = %q, want it to name the file %s", err, path)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(ws) != 1 {
				t.Fatalf("Load returned %d entries, want 1: %+v", len(ws), ws)
			}
			if got := ws[0].GroupVersionKind(); got != etcdClusterGVK {
				t.Errorf("GroupVersionKind() = %v, want %v", got, etcdClusterGVK)
			}
			want := tt.wantChart
			if !filepath.IsAbs(want) {
				want = filepath.Join(filepath.Dir(path), want)
			}
			if ws[0].Chart != want {
				t.Errorf("Chart = %q, want %q", ws[0].Chart, want)
			}
			chart, err := ChartFor(ws, etcdClusterGVK)
			if err != nil {
				t.Fatalf("ChartFor: %v", err)
			}
			if chart != want {
				t.Errorf("ChartFor = %q, want %q", chart, want)
			}
		})
	}
}

func TestLoadEmptyFile(t *testing.T) {
	ws, err := Load(writeWatches(t, "# nothing watched\n"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(ws) != 0 {
		t.Fatalf("Load returned %+v, want no entries", ws)
	}
	if _, err := ChartFor(ws, etcdClusterGVK); err == nil {
		t.Fatal("ChartFor on no entries succeeded, want an error")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if !os.IsNotExist(err) {
		t.Fatalf("Load of a missing file = %v, want a not-exist error", err)
	}
}

func TestChartFor(t *testing.T) {
	ws := []Watch{
		{Group: "etcd.etcd.io", Version: "v1alpha1", Kind: "EtcdCluster", Chart: "/charts/etcd-cluster"},
		{Group: "etcd.etcd.io", Version: "v1alpha1", Kind: "EtcdBackup", Chart: "/charts/etcd-backup"},
	}
	tests := []struct {
		name    string
		gvk     schema.GroupVersionKind
		want    string
		wantErr bool
	}{
		{"first kind", etcdClusterGVK, "/charts/etcd-cluster", false},
		{"second kind", schema.GroupVersionKind{Group: "etcd.etcd.io", Version: "v1alpha1", Kind: "EtcdBackup"}, "/charts/etcd-backup", false},
		{"unknown kind", schema.GroupVersionKind{Group: "etcd.etcd.io", Version: "v1alpha1", Kind: "EtcdRestore"}, "", true},
		{"unknown version", schema.GroupVersionKind{Group: "etcd.etcd.io", Version: "v1", Kind: "EtcdCluster"}, "", true},
		{"unknown group", schema.GroupVersionKind{Group: "etcd.io", Version: "v1alpha1", Kind: "EtcdCluster"}, "", true},
		{"kind is case sensitive", schema.GroupVersionKind{Group: "etcd.etcd.io", Version: "v1alpha1", Kind: "etcdcluster"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ChartFor(ws, tt.gvk)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ChartFor(%v) = %q, want an error", tt.gvk, got)
				}
				if !strings.Contains(err.Error(), tt.gvk.Kind) {
					t.Errorf("ChartFor error %q does not name the kind %s", err, tt.gvk.Kind)
				}
				return
			}
			if err != nil {
				t.Fatalf("ChartFor(%v): %v", tt.gvk, err)
			}
			if got != tt.want {
				t.Errorf("ChartFor(%v) = %q, want %q", tt.gvk, got, tt.want)
			}
		})
	}
}

// TestRepositoryWatches loads the watches.yaml the operator ships.
func TestRepositoryWatches(t *testing.T) {
	path := filepath.Join("..", "..", "watches.yaml")
	ws, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	chart, err := ChartFor(ws, etcdClusterGVK)
	if err != nil {
		t.Fatalf("ChartFor: %v", err)
	}
	if want := filepath.Join("..", "..", "helm-charts", "etcd-cluster"); chart != want {
		t.Errorf("EtcdCluster chart = %q, want %q", chart, want)
	}
	info, err := os.Stat(chart)
	if err != nil {
		t.Fatalf("chart %s: %v", chart, err)
	}
	if !info.IsDir() {
		t.Fatalf("chart %s is not a directory", chart)
	}
	if _, err := os.Stat(filepath.Join(chart, "Chart.yaml")); err != nil {
		t.Fatalf("chart %s has no Chart.yaml: %v", chart, err)
	}
}
