package chart

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/resources"
	"github.com/etcd-operator/etcd-operator/internal/values"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// chartDir is the repository's etcd-cluster chart.
var chartDir = filepath.Join("..", "..", "helm-charts", "etcd-cluster")

const namespace = "prod"

// testDigest is a well-formed image digest (not that of a real image).
const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func loadChart(tb testing.TB) *Renderer {
	tb.Helper()
	r, err := Load(chartDir)
	if err != nil {
		tb.Fatalf("Load(%s): %v", chartDir, err)
	}
	return r
}

// cluster returns an EtcdCluster named demo with the CRD's defaults.
func cluster() *etcdv1alpha1.EtcdCluster {
	size := resource.MustParse("1Gi")
	quota := resource.MustParse("2Gi")
	return &etcdv1alpha1.EtcdCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: namespace, UID: "7c9e6679-7425-40de-944b-e07fc1f90ae7"},
		Spec: etcdv1alpha1.EtcdClusterSpec{
			Size:            3,
			Version:         "3.7.3",
			Repository:      "quay.io/coreos/etcd",
			ImagePullPolicy: corev1.PullIfNotPresent,
			Storage: etcdv1alpha1.StorageSpec{
				Type:          etcdv1alpha1.StoragePersistentVolume,
				Size:          &size,
				ReclaimPolicy: etcdv1alpha1.ReclaimDelete,
			},
			Tuning: etcdv1alpha1.TuningSpec{
				HeartbeatIntervalMillis: 100,
				ElectionTimeoutMillis:   1000,
				SnapshotCount:           10000,
				QuotaBackendBytes:       &quota,
				AutoCompactionMode:      "periodic",
				AutoCompactionRetention: "1h",
			},
		},
	}
}

type renderCase struct {
	name   string
	modify func(*etcdv1alpha1.EtcdCluster)
	m      values.Membership
	// restore, when set, is the chart's restore block (values.Restore).
	restore map[string]any
}

var renderCases = []renderCase{
	{
		// The one render with plain HTTP: every other case has TLS, the default.
		name:   "tls-disabled",
		modify: func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.TLS.Provider = etcdv1alpha1.TLSDisabled },
		m:      values.Membership{Replicas: 3, State: values.StateNew},
	},
	{
		name: "defaults",
		m:    values.Membership{Replicas: 3, State: values.StateNew},
	},
	{
		name:   "one-member",
		modify: func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = 1 },
		m:      values.Membership{Replicas: 1, State: values.StateNew},
	},
	{
		name: "five-members-emptydir",
		modify: func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Size = 5
			ec.Spec.Storage.Type = etcdv1alpha1.StorageEmptyDir
		},
		m: values.Membership{Replicas: 5, State: values.StateNew},
	},
	{
		name:   "version-3.5.21",
		modify: func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = "3.5.21" },
		m:      values.Membership{Replicas: 3, State: values.StateNew},
	},
	{
		name:   "existing-initial-members",
		modify: func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = 5 },
		m: values.Membership{Replicas: 4, State: values.StateExisting,
			InitialMembers: []string{"demo-0", "demo-1", "demo-2", "demo-3"}},
	},
	{
		// spec.resources replaces the chart's default requests: a limit
		// alone must not be merged with default requests (which could
		// exceed it); the API server then sets the requests to the limits.
		name: "resources-limits-only",
		modify: func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Resources = corev1.ResourceRequirements{
				Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
			}
		},
		m: values.Membership{Replicas: 3, State: values.StateNew},
	},
	{
		name:   "image-digest",
		modify: func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.ImageDigest = testDigest },
		m:      values.Membership{Replicas: 3, State: values.StateNew},
	},
	{
		name: "placement-resources",
		modify: func(ec *etcdv1alpha1.EtcdCluster) {
			class := "fast-ssd"
			ec.Spec.Storage.StorageClassName = &class
			ec.Spec.Storage.ReclaimPolicy = etcdv1alpha1.ReclaimRetain
			ec.Spec.Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
			}
			selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/instance": "demo"}}
			ec.Spec.Pod = etcdv1alpha1.PodSpec{
				Labels:       map[string]string{"team": "storage"},
				Annotations:  map[string]string{"example.com/owner": "sre"},
				NodeSelector: map[string]string{"kubernetes.io/os": "linux"},
				Tolerations: []corev1.Toleration{{
					Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "etcd", Effect: corev1.TaintEffectNoSchedule,
				}},
				Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
						LabelSelector: selector, TopologyKey: "kubernetes.io/hostname",
					}},
				}},
				TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
					MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: selector,
				}},
				PriorityClassName: "system-cluster-critical",
			}
		},
		m: values.Membership{Replicas: 3, State: values.StateNew},
	},
	{
		name: "restore-s3",
		m:    values.Membership{Replicas: 3, State: values.StateNew},
		restore: values.Restore(&etcdv1alpha1.RestoreStatus{
			Backup: "nightly", SHA256: strings.Repeat("ab", 32), Key: "prod/default/demo/nightly.db",
			Destination: etcdv1alpha1.BackupDestination{S3: &etcdv1alpha1.S3Destination{
				Endpoint: "https://s3.example.com", Bucket: "etcd", CredentialsSecret: "s3-creds", CASecret: "s3-ca"}},
		}, "quay.io/etcd-operator/etcd-operator:v0.1.0", etcdv1alpha1.DefaultBumpRevision),
	},
	{
		name: "restore-claim-emptydir",
		modify: func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Storage.Type = etcdv1alpha1.StorageEmptyDir
		},
		m: values.Membership{Replicas: 3, State: values.StateNew},
		restore: values.Restore(&etcdv1alpha1.RestoreStatus{
			Backup: "manual", SHA256: strings.Repeat("cd", 32), Key: "default/demo/manual.db",
			Destination: etcdv1alpha1.BackupDestination{PersistentVolumeClaim: &etcdv1alpha1.ClaimDestination{ClaimName: "backups"}},
		}, "quay.io/etcd-operator/etcd-operator:v0.1.0", 0),
	},
}

func (c renderCase) values(tb testing.TB) map[string]any {
	tb.Helper()
	ec := cluster()
	if c.modify != nil {
		c.modify(ec)
	}
	v, err := values.For(ec, resources.For(ec, ""), c.m)
	if err != nil {
		tb.Fatalf("values.For: %v", err)
	}
	if c.restore != nil {
		v["restore"] = c.restore
	}
	return v
}

func render(tb testing.TB, r *Renderer, vals map[string]any) []*unstructured.Unstructured {
	tb.Helper()
	objs, err := r.Render(Release{Name: "demo", Namespace: namespace}, vals)
	if err != nil {
		tb.Fatalf("Render: %v", err)
	}
	return objs
}

// marshal is the golden form of objs: each object as YAML, joined by "---".
func marshal(tb testing.TB, objs []*unstructured.Unstructured) []byte {
	tb.Helper()
	docs := make([]string, 0, len(objs))
	for _, o := range objs {
		b, err := yaml.Marshal(o.Object)
		if err != nil {
			tb.Fatalf("marshaling %s %s: %v", o.GetKind(), o.GetName(), err)
		}
		docs = append(docs, string(b))
	}
	return []byte(strings.Join(docs, "---\n"))
}

func TestRenderGolden(t *testing.T) {
	r := loadChart(t)
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			got := marshal(t, render(t, r, c.values(t)))
			golden := filepath.Join("testdata", c.name+".golden.yaml")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading %s (run `go test ./internal/chart -update` to create it): %v", golden, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("rendering differs from %s (run `go test ./internal/chart -update` if the change is intended):\n%s",
					golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

// lineDiff lists the lines that differ between want and got, with their
// line numbers; enough to see what changed in a golden file.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 40; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			shown++
			fmt.Fprintf(&b, "line %d:\n  - %s\n  + %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

func TestRenderObjects(t *testing.T) {
	r := loadChart(t)
	type id struct{ apiVersion, kind, name string }
	wantIDs := []id{
		{"v1", "ConfigMap", "demo-config"},
		{"v1", "Service", "demo-client"},
		{"v1", "Service", "demo-peer"},
		{"apps/v1", "StatefulSet", "demo"},
	}
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			objs := render(t, r, c.values(t))
			if len(objs) != len(wantIDs) {
				t.Fatalf("Render returned %d objects, want %d", len(objs), len(wantIDs))
			}
			for i, o := range objs {
				got := id{o.GetAPIVersion(), o.GetKind(), o.GetName()}
				if got != wantIDs[i] {
					t.Errorf("object %d = %v, want %v (install order)", i, got, wantIDs[i])
				}
				if o.GetNamespace() != namespace {
					t.Errorf("%s %s has namespace %q, want %q", o.GetKind(), o.GetName(), o.GetNamespace(), namespace)
				}
				labels := o.GetLabels()
				if labels["app.kubernetes.io/managed-by"] != resources.ManagedBy {
					t.Errorf("%s %s has managed-by %q, want %q", o.GetKind(), o.GetName(), labels["app.kubernetes.io/managed-by"], resources.ManagedBy)
				}
				if labels["app.kubernetes.io/instance"] != "demo" || labels["app.kubernetes.io/name"] != "etcd" {
					t.Errorf("%s %s lacks the selector labels: %v", o.GetKind(), o.GetName(), labels)
				}
			}
		})
	}
}

// TestRenderContent checks the fields the controller relies on, so that a
// wrong golden file cannot hide them.
func TestRenderContent(t *testing.T) {
	r := loadChart(t)
	byCase := map[string][]*unstructured.Unstructured{}
	for _, c := range renderCases {
		byCase[c.name] = render(t, r, c.values(t))
	}
	str := func(t *testing.T, o *unstructured.Unstructured, fields ...string) string {
		t.Helper()
		v, ok, err := unstructured.NestedFieldNoCopy(o.Object, fields...)
		if err != nil || !ok {
			t.Fatalf("%s %s has no %s (err %v)", o.GetKind(), o.GetName(), strings.Join(fields, "."), err)
		}
		switch x := v.(type) {
		case string:
			return x
		default:
			b, _ := yaml.Marshal(x)
			return strings.TrimSpace(string(b))
		}
	}
	container := func(t *testing.T, sts *unstructured.Unstructured) map[string]any {
		t.Helper()
		cs, _, _ := unstructured.NestedSlice(sts.Object, "spec", "template", "spec", "containers")
		if len(cs) != 1 {
			t.Fatalf("StatefulSet has %d containers, want 1", len(cs))
		}
		return cs[0].(map[string]any)
	}
	peer := func(pod string) string {
		return pod + "=https://" + pod + ".demo-peer." + namespace + ".svc.cluster.local:2380"
	}

	tests := []struct {
		name  string
		check func(t *testing.T, objs []*unstructured.Unstructured)
	}{
		{"defaults: initial cluster of 3 new members", func(t *testing.T, objs []*unstructured.Unstructured) {
			cm := objs[0]
			if got, want := str(t, cm, "data", "ETCD_INITIAL_CLUSTER"), strings.Join([]string{peer("demo-0"), peer("demo-1"), peer("demo-2")}, ","); got != want {
				t.Errorf("ETCD_INITIAL_CLUSTER = %q, want %q", got, want)
			}
			if got := str(t, cm, "data", "ETCD_INITIAL_CLUSTER_STATE"); got != "new" {
				t.Errorf("ETCD_INITIAL_CLUSTER_STATE = %q, want new", got)
			}
			if got, want := str(t, cm, "data", "ETCD_INITIAL_CLUSTER_TOKEN"), "prod-demo-7c9e6679-7425-40de-944b-e07fc1f90ae7"; got != want {
				t.Errorf("ETCD_INITIAL_CLUSTER_TOKEN = %q, want %q", got, want)
			}
			if got := str(t, cm, "data", "ETCD_QUOTA_BACKEND_BYTES"); got != "2147483648" {
				t.Errorf("ETCD_QUOTA_BACKEND_BYTES = %q, want 2147483648", got)
			}
			sts := objs[3]
			if got := str(t, sts, "spec", "replicas"); got != "3" {
				t.Errorf("replicas = %s, want 3", got)
			}
			if got := container(t, sts)["image"]; got != "quay.io/coreos/etcd:v3.7.3" {
				t.Errorf("image = %v, want quay.io/coreos/etcd:v3.7.3", got)
			}
			// etcd never talks to the Kubernetes API: no token in its pods.
			if got, ok, _ := unstructured.NestedBool(sts.Object, "spec", "template", "spec", "automountServiceAccountToken"); !ok || got {
				t.Errorf("automountServiceAccountToken = %v (present %v), want false", got, ok)
			}
			// Default requests (no limits) so that members are not BestEffort.
			wantRes := map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}}
			if res := container(t, sts)["resources"]; !reflect.DeepEqual(res, wantRes) {
				t.Errorf("container resources = %v, want the default %v", res, wantRes)
			}
			// The operator's finalizer applies reclaimPolicy Delete; the
			// StatefulSet's own policy would race the scheduler's binding.
			if got := str(t, sts, "spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"); got != "Retain" {
				t.Errorf("whenDeleted = %q, want Retain", got)
			}
			if got := str(t, sts, "spec", "template", "spec", "containers"); !strings.Contains(got, "path: /readyz") {
				t.Errorf("3.7 probes do not use /readyz:\n%s", got)
			}
		}},
		{"one-member: a single member cluster", func(t *testing.T, objs []*unstructured.Unstructured) {
			if got, want := str(t, objs[0], "data", "ETCD_INITIAL_CLUSTER"), peer("demo-0"); got != want {
				t.Errorf("ETCD_INITIAL_CLUSTER = %q, want %q", got, want)
			}
			if got := str(t, objs[3], "spec", "replicas"); got != "1" {
				t.Errorf("replicas = %s, want 1", got)
			}
		}},
		{"five-members-emptydir: an emptyDir and no claims", func(t *testing.T, objs []*unstructured.Unstructured) {
			sts := objs[3]
			if _, ok := sts.Object["spec"].(map[string]any)["volumeClaimTemplates"]; ok {
				t.Error("EmptyDir storage renders volumeClaimTemplates")
			}
			if got := str(t, sts, "spec", "template", "spec", "volumes"); !strings.Contains(got, "sizeLimit: 1Gi") {
				t.Errorf("volumes = %s, want an emptyDir with sizeLimit 1Gi", got)
			}
			if got := str(t, objs[0], "data", "ETCD_INITIAL_CLUSTER"); strings.Count(got, "=https://") != 5 || !strings.Contains(got, peer("demo-4")) {
				t.Errorf("ETCD_INITIAL_CLUSTER = %q, want 5 members up to demo-4", got)
			}
		}},
		{"version-3.5.21: /health probes and the v3.5.21 image", func(t *testing.T, objs []*unstructured.Unstructured) {
			sts := objs[3]
			if got := container(t, sts)["image"]; got != "quay.io/coreos/etcd:v3.5.21" {
				t.Errorf("image = %v, want quay.io/coreos/etcd:v3.5.21", got)
			}
			c := str(t, sts, "spec", "template", "spec", "containers")
			if strings.Contains(c, "/readyz") || strings.Contains(c, "/livez") || !strings.Contains(c, "path: /health") {
				t.Errorf("3.5 probes must use /health:\n%s", c)
			}
			if got := objs[0].GetLabels()["app.kubernetes.io/version"]; got != "3.5.21" {
				t.Errorf("version label = %q, want 3.5.21", got)
			}
		}},
		{"existing-initial-members: joins with the listed members", func(t *testing.T, objs []*unstructured.Unstructured) {
			cm := objs[0]
			if got, want := str(t, cm, "data", "ETCD_INITIAL_CLUSTER"), strings.Join([]string{peer("demo-0"), peer("demo-1"), peer("demo-2"), peer("demo-3")}, ","); got != want {
				t.Errorf("ETCD_INITIAL_CLUSTER = %q, want %q", got, want)
			}
			if got := str(t, cm, "data", "ETCD_INITIAL_CLUSTER_STATE"); got != "existing" {
				t.Errorf("ETCD_INITIAL_CLUSTER_STATE = %q, want existing", got)
			}
			if got := str(t, objs[3], "spec", "replicas"); got != "4" {
				t.Errorf("replicas = %s, want 4 (the membership's, not spec.size)", got)
			}
		}},
		{"resources-limits-only: spec.resources replaces the default requests", func(t *testing.T, objs []*unstructured.Unstructured) {
			wantRes := map[string]any{"limits": map[string]any{"cpu": "50m", "memory": "64Mi"}}
			if res := container(t, objs[3])["resources"]; !reflect.DeepEqual(res, wantRes) {
				t.Errorf("container resources = %v, want exactly %v", res, wantRes)
			}
		}},
		{"image-digest: the image is pinned by digest", func(t *testing.T, objs []*unstructured.Unstructured) {
			if got, want := container(t, objs[3])["image"], "quay.io/coreos/etcd@"+testDigest; got != want {
				t.Errorf("image = %v, want %v", got, want)
			}
			// The version still labels the objects and selects the probes.
			if got := objs[3].GetLabels()["app.kubernetes.io/version"]; got != "3.7.3" {
				t.Errorf("version label = %q, want 3.7.3", got)
			}
		}},
		{"placement-resources: placement reaches the pod template", func(t *testing.T, objs []*unstructured.Unstructured) {
			sts := objs[3]
			pod := sts.Object["spec"].(map[string]any)["template"].(map[string]any)
			podSpec := pod["spec"].(map[string]any)
			for _, key := range []string{"nodeSelector", "tolerations", "affinity", "topologySpreadConstraints", "priorityClassName"} {
				if _, ok := podSpec[key]; !ok {
					t.Errorf("pod spec has no %s", key)
				}
			}
			if got := str(t, sts, "spec", "template", "spec", "nodeSelector", "kubernetes.io/os"); got != "linux" {
				t.Errorf("nodeSelector kubernetes.io/os = %q, want linux", got)
			}
			res, ok := container(t, sts)["resources"].(map[string]any)
			wantRes := map[string]any{
				"requests": map[string]any{"cpu": "500m", "memory": "512Mi"},
				"limits":   map[string]any{"memory": "1Gi"},
			}
			if !ok || !reflect.DeepEqual(res, wantRes) {
				t.Errorf("container resources = %v, want %v", res, wantRes)
			}
			if got := str(t, sts, "spec", "template", "metadata", "labels", "team"); got != "storage" {
				t.Errorf("pod label team = %q, want storage", got)
			}
			if got := str(t, sts, "spec", "template", "metadata", "annotations", "example.com/owner"); got != "sre" {
				t.Errorf("pod annotation example.com/owner = %q, want sre", got)
			}
			if got := str(t, sts, "spec", "volumeClaimTemplates"); !strings.Contains(got, "storageClassName: fast-ssd") {
				t.Errorf("claims do not use class fast-ssd:\n%s", got)
			}
			if got := str(t, sts, "spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"); got != "Retain" {
				t.Errorf("whenDeleted = %q, want Retain", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caseName, _, _ := strings.Cut(tt.name, ":")
			objs, ok := byCase[caseName]
			if !ok {
				t.Fatalf("no render case %q", caseName)
			}
			if len(objs) != 4 {
				t.Fatalf("Render returned %d objects, want 4", len(objs))
			}
			tt.check(t, objs)
		})
	}
}

// TestTuningRollsPodsButMembershipDoesNot checks the pod template's config
// checksum: tuning changes must restart members, membership changes must not.
func TestTuningRollsPodsButMembershipDoesNot(t *testing.T) {
	r := loadChart(t)
	checksum := func(ec *etcdv1alpha1.EtcdCluster, m values.Membership) string {
		t.Helper()
		v, err := values.For(ec, resources.For(ec, ""), m)
		if err != nil {
			t.Fatal(err)
		}
		sts := render(t, r, v)[3]
		sum, _, _ := unstructured.NestedString(sts.Object, "spec", "template", "metadata", "annotations", "etcd.etcd.io/config-checksum")
		if sum == "" {
			t.Fatal("pod template has no etcd.etcd.io/config-checksum annotation")
		}
		return sum
	}
	base := checksum(cluster(), values.Membership{Replicas: 3, State: values.StateNew})
	if got := checksum(cluster(), values.Membership{Replicas: 4, State: values.StateExisting, InitialMembers: []string{"demo-0", "demo-1", "demo-2", "demo-3"}}); got != base {
		t.Errorf("a membership change changed the config checksum: %s -> %s", base, got)
	}
	tuned := cluster()
	tuned.Spec.Tuning.SnapshotCount = 20000
	if got := checksum(tuned, values.Membership{Replicas: 3, State: values.StateNew}); got == base {
		t.Error("a tuning change kept the config checksum: pods would not restart")
	}
}

func TestRenderRejectsInvalidValues(t *testing.T) {
	r := loadChart(t)
	tests := []struct {
		name    string
		modify  func(v map[string]any)
		wantErr string
	}{
		{"zero replicas", func(v map[string]any) { v["replicas"] = float64(0) }, "replicas"},
		{"ten replicas", func(v map[string]any) { v["replicas"] = float64(10) }, "replicas"},
		{"unknown top-level value", func(v map[string]any) { v["size"] = float64(3) }, "size"},
		{"unknown cluster state", func(v map[string]any) { v["cluster"].(map[string]any)["state"] = "joining" }, "state"},
		{"bad pull policy", func(v map[string]any) { v["image"].(map[string]any)["pullPolicy"] = "Sometimes" }, "pullPolicy"},
		{"bad storage type", func(v map[string]any) { v["storage"].(map[string]any)["type"] = "HostPath" }, "type"},
		{"bad version", func(v map[string]any) { v["version"] = "v3.7" }, "version"},
		{"digest without algorithm", func(v map[string]any) {
			v["image"].(map[string]any)["digest"] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		}, "digest"},
		{"short digest", func(v map[string]any) { v["image"].(map[string]any)["digest"] = "sha256:0123" }, "digest"},
		{"uppercase cluster name", func(v map[string]any) { v["clusterName"] = "Demo" }, "clusterName"},
		{"duplicate initial members", func(v map[string]any) {
			v["cluster"].(map[string]any)["initialMembers"] = []any{"demo-0", "demo-0"}
		}, "initialMembers"},
		{"election timeout below 5 heartbeats", func(v map[string]any) {
			v["etcd"].(map[string]any)["electionTimeout"] = float64(400)
		}, "electionTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := renderCases[0].values(t)
			tt.modify(v)
			objs, err := r.Render(Release{Name: "demo", Namespace: namespace}, v)
			if err == nil {
				t.Fatalf("Render accepted invalid values and returned %d objects", len(objs))
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Render error = %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	r := loadChart(t)
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			first := render(t, r, c.values(t))
			second := render(t, r, c.values(t))
			if !reflect.DeepEqual(first, second) {
				t.Fatalf("two renders of the same values differ:\n%s", lineDiff(string(marshal(t, first)), string(marshal(t, second))))
			}
		})
	}
}

func TestRenderDoesNotModifyValues(t *testing.T) {
	r := loadChart(t)
	v := renderCases[0].values(t)
	before := renderCases[0].values(t)
	render(t, r, v)
	if !reflect.DeepEqual(v, before) {
		t.Fatalf("Render modified its values:\n got %v\nwant %v", v, before)
	}
}

func TestRenderConcurrently(t *testing.T) {
	r := loadChart(t)
	want := marshal(t, render(t, r, renderCases[0].values(t)))
	errs := make(chan string, 8)
	for range 8 {
		go func() {
			objs, err := r.Render(Release{Name: "demo", Namespace: namespace}, renderCases[0].values(t))
			switch {
			case err != nil:
				errs <- err.Error()
			case !bytes.Equal(marshal(t, objs), want):
				errs <- "a concurrent render differs"
			default:
				errs <- ""
			}
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

func TestLoad(t *testing.T) {
	r := loadChart(t)
	if md := r.Chart(); md == nil || md.Name != "etcd-cluster" || md.Version == "" {
		t.Fatalf("Chart() = %+v, want etcd-cluster metadata", md)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Fatal("Load of a missing chart succeeded")
	}
}

func TestIsRenderedManifest(t *testing.T) {
	tests := map[string]bool{
		"etcd-cluster/templates/statefulset.yaml": true,
		"etcd-cluster/templates/configmap.yaml":   true,
		"etcd-cluster/templates/NOTES.txt":        false,
		"etcd-cluster/templates/_helpers.tpl":     false,
	}
	for name, want := range tests {
		if got := isRenderedManifest(name); got != want {
			t.Errorf("isRenderedManifest(%q) = %v, want %v", name, got, want)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	r := loadChart(b)
	v := renderCases[0].values(b)
	rel := Release{Name: "demo", Namespace: namespace}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(rel, v); err != nil {
			b.Fatal(err)
		}
	}
}

// writeChart writes a minimal chart with the given templates to a
// temporary directory and returns its path.
func writeChart(t *testing.T, templates map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mini")
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: mini\nversion: 0.0.1\n",
		"values.yaml": "enabled: false\n",
	}
	for name, content := range templates {
		files[filepath.Join("templates", name)] = content
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRenderMinimalCharts(t *testing.T) {
	const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n    app.kubernetes.io/managed-by: {{ .Release.Service }}\n"
	tests := []struct {
		name      string
		templates map[string]string
		values    map[string]any
		wantNames []string
		wantErr   string
	}{
		{
			name:      "namespace is set on objects whose template has none",
			templates: map[string]string{"cm.yaml": configMap},
			wantNames: []string{"rel"},
		},
		{
			name: "templates that render nothing or only comments are skipped",
			templates: map[string]string{
				"cm.yaml":         configMap,
				"disabled.yaml":   "{{- if .Values.enabled }}\n" + configMap + "{{- end }}\n",
				"comment.yaml":    "# nothing to see here\n",
				"separators.yaml": "---\n# first\n---\n",
			},
			wantNames: []string{"rel"},
		},
		{
			name:      "a template turned on by values renders",
			templates: map[string]string{"disabled.yaml": "{{- if .Values.enabled }}\n" + configMap + "{{- end }}\n"},
			values:    map[string]any{"enabled": true},
			wantNames: []string{"rel"},
		},
		{
			name: "hooks are refused",
			templates: map[string]string{
				"hook.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hook\n  annotations:\n    helm.sh/hook: pre-install\n",
			},
			wantErr: "hooks",
		},
		{
			name:      "a template error is returned",
			templates: map[string]string{"bad.yaml": `{{ fail "no way" }}`},
			wantErr:   "no way",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Load(writeChart(t, tt.templates))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			objs, err := r.Render(Release{Name: "rel", Namespace: "ns1"}, tt.values)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Render error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			var names []string
			for _, o := range objs {
				names = append(names, o.GetName())
				if o.GetNamespace() != "ns1" {
					t.Errorf("%s %s has namespace %q, want ns1", o.GetKind(), o.GetName(), o.GetNamespace())
				}
				if got := o.GetLabels()["app.kubernetes.io/managed-by"]; got != resources.ManagedBy {
					t.Errorf("%s %s is managed by %q, want %q", o.GetKind(), o.GetName(), got, resources.ManagedBy)
				}
			}
			if !reflect.DeepEqual(names, tt.wantNames) {
				t.Errorf("rendered objects %v, want %v", names, tt.wantNames)
			}
		})
	}
}
