package values

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// defaulted returns an EtcdCluster with every default the CRD fills in.
func defaulted() *etcdv1alpha1.EtcdCluster {
	size := resource.MustParse("1Gi")
	quota := resource.MustParse("2Gi")
	return &etcdv1alpha1.EtcdCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "prod", UID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"},
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

// defaultValues is For(defaulted(), {3, new}) as a values file would give it.
func defaultValues() map[string]any {
	return map[string]any{
		"clusterName":   "demo",
		"clusterDomain": "cluster.local",
		"replicas":      float64(3),
		"version":       "3.7.3",
		"image": map[string]any{
			"repository": "quay.io/coreos/etcd",
			"tag":        "v3.7.3",
			"pullPolicy": "IfNotPresent",
		},
		"cluster": map[string]any{
			"state": "new",
			"token": "prod-demo-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
		},
		"storage": map[string]any{
			"type":          "PersistentVolume",
			"size":          "1Gi",
			"reclaimPolicy": "Retain", // the finalizer applies spec.storage.reclaimPolicy (Delete)
		},
		"etcd": map[string]any{
			"heartbeatInterval":       float64(100),
			"electionTimeout":         float64(1000),
			"snapshotCount":           float64(10000),
			"quotaBackendBytes":       float64(2147483648),
			"autoCompactionMode":      "periodic",
			"autoCompactionRetention": "1h",
		},
		"tls": map[string]any{"enabled": true, "serverSecret": "demo-server-tls", "peerSecret": "demo-peer-tls"},
	}
}

func TestFor(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*etcdv1alpha1.EtcdCluster)
		m      Membership
		want   func(map[string]any)
	}{
		{
			name: "defaults",
			m:    Membership{Replicas: 3, State: StateNew},
			want: func(map[string]any) {},
		},
		{
			name:   "TLS disabled",
			modify: func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.TLS.Provider = etcdv1alpha1.TLSDisabled },
			m:      Membership{Replicas: 3, State: StateNew},
			want:   func(v map[string]any) { v["tls"] = map[string]any{"enabled": false} },
		},
		{
			name: "replicas come from the membership, not spec.size",
			m:    Membership{Replicas: 4, State: StateExisting},
			want: func(v map[string]any) {
				v["replicas"] = float64(4)
				v["cluster"].(map[string]any)["state"] = "existing"
			},
		},
		{
			name: "initial members when set",
			m:    Membership{Replicas: 4, State: StateExisting, InitialMembers: []string{"demo-0", "demo-1", "demo-2", "demo-3"}},
			want: func(v map[string]any) {
				v["replicas"] = float64(4)
				c := v["cluster"].(map[string]any)
				c["state"] = "existing"
				c["initialMembers"] = []any{"demo-0", "demo-1", "demo-2", "demo-3"}
			},
		},
		{
			name: "empty initial members are dropped",
			m:    Membership{Replicas: 3, State: StateExisting, InitialMembers: []string{}},
			want: func(v map[string]any) { v["cluster"].(map[string]any)["state"] = "existing" },
		},
		{
			name: "version picks the image tag",
			modify: func(ec *etcdv1alpha1.EtcdCluster) {
				ec.Spec.Version = "3.5.21"
				ec.Spec.Repository = "registry.k8s.io/etcd"
				ec.Spec.ImagePullPolicy = corev1.PullAlways
			},
			m: Membership{Replicas: 3, State: StateNew},
			want: func(v map[string]any) {
				v["version"] = "3.5.21"
				v["image"] = map[string]any{"repository": "registry.k8s.io/etcd", "tag": "v3.5.21", "pullPolicy": "Always"}
			},
		},
		{
			name: "an image digest pins the image; the tag still follows version",
			modify: func(ec *etcdv1alpha1.EtcdCluster) {
				ec.Spec.ImageDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			},
			m: Membership{Replicas: 3, State: StateNew},
			want: func(v map[string]any) {
				v["image"].(map[string]any)["digest"] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			},
		},
		{
			name: "resources are passed as given (they replace the chart's default requests)",
			modify: func(ec *etcdv1alpha1.EtcdCluster) {
				ec.Spec.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
			},
			m: Membership{Replicas: 3, State: StateNew},
			want: func(v map[string]any) {
				v["resources"] = map[string]any{"limits": map[string]any{"memory": "1Gi"}}
			},
		},
		{
			name: "empty dir storage with a class and retain",
			modify: func(ec *etcdv1alpha1.EtcdCluster) {
				size := resource.MustParse("512Mi")
				class := "fast-ssd"
				ec.Spec.Storage = etcdv1alpha1.StorageSpec{
					Type: etcdv1alpha1.StorageEmptyDir, Size: &size, StorageClassName: &class, ReclaimPolicy: etcdv1alpha1.ReclaimRetain,
				}
			},
			m: Membership{Replicas: 3, State: StateNew},
			want: func(v map[string]any) {
				v["storage"] = map[string]any{"type": "EmptyDir", "size": "512Mi", "storageClassName": "fast-ssd", "reclaimPolicy": "Retain"}
			},
		},
		{
			name: "unset storage size and quota are left to the chart",
			modify: func(ec *etcdv1alpha1.EtcdCluster) {
				ec.Spec.Storage.Size = nil
				ec.Spec.Tuning.QuotaBackendBytes = nil
			},
			m: Membership{Replicas: 3, State: StateNew},
			want: func(v map[string]any) {
				delete(v["storage"].(map[string]any), "size")
				delete(v["etcd"].(map[string]any), "quotaBackendBytes")
			},
		},
		{
			name: "tuning in revision mode",
			modify: func(ec *etcdv1alpha1.EtcdCluster) {
				quota := resource.MustParse("8Gi")
				ec.Spec.Tuning = etcdv1alpha1.TuningSpec{
					HeartbeatIntervalMillis: 250, ElectionTimeoutMillis: 2500, SnapshotCount: 50000,
					QuotaBackendBytes: &quota, AutoCompactionMode: "revision", AutoCompactionRetention: "1000",
				}
			},
			m: Membership{Replicas: 3, State: StateNew},
			want: func(v map[string]any) {
				v["etcd"] = map[string]any{
					"heartbeatInterval": float64(250), "electionTimeout": float64(2500), "snapshotCount": float64(50000),
					"quotaBackendBytes": float64(8 << 30), "autoCompactionMode": "revision", "autoCompactionRetention": "1000",
				}
			},
		},
		{
			name: "a decimal quota is passed as bytes",
			modify: func(ec *etcdv1alpha1.EtcdCluster) {
				quota := resource.MustParse("1.5G")
				ec.Spec.Tuning.QuotaBackendBytes = &quota
			},
			m:    Membership{Replicas: 3, State: StateNew},
			want: func(v map[string]any) { v["etcd"].(map[string]any)["quotaBackendBytes"] = float64(1500000000) },
		},
		{
			name: "auto compaction off",
			modify: func(ec *etcdv1alpha1.EtcdCluster) {
				ec.Spec.Tuning.AutoCompactionRetention = "0"
			},
			m:    Membership{Replicas: 3, State: StateNew},
			want: func(v map[string]any) { v["etcd"].(map[string]any)["autoCompactionRetention"] = "0" },
		},
		{
			name: "paused is not a chart value",
			modify: func(ec *etcdv1alpha1.EtcdCluster) {
				ec.Spec.Paused = true
				ec.Status.Phase = etcdv1alpha1.PhaseRunning
			},
			m:    Membership{Replicas: 3, State: StateNew},
			want: func(map[string]any) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ec := defaulted()
			if tt.modify != nil {
				tt.modify(ec)
			}
			want := defaultValues()
			tt.want(want)
			got, err := For(ec, resources.For(ec, ""), tt.m)
			if err != nil {
				t.Fatalf("For: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("For returned\n%s\nwant\n%s", dump(t, got), dump(t, want))
			}
			checkJSONTypes(t, "", got)
		})
	}
}

func TestForPlacement(t *testing.T) {
	ec := defaulted()
	ec.Spec.Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
	}
	ec.Spec.Pod = etcdv1alpha1.PodSpec{
		Labels:       map[string]string{"team": "storage"},
		Annotations:  map[string]string{"example.com/owner": "sre"},
		NodeSelector: map[string]string{"kubernetes.io/os": "linux"},
		Tolerations: []corev1.Toleration{{
			Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "etcd", Effect: corev1.TaintEffectNoSchedule,
		}},
		Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/instance": "demo"}},
				TopologyKey:   "kubernetes.io/hostname",
			}},
		}},
		TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/instance": "demo"}},
		}},
		PriorityClassName: "system-cluster-critical",
	}

	got, err := For(ec, resources.For(ec, ""), Membership{Replicas: 3, State: StateNew})
	if err != nil {
		t.Fatalf("For: %v", err)
	}
	checkJSONTypes(t, "", got)

	instance := map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/instance": "demo"}}
	tests := []struct {
		key  string
		want any
	}{
		{"resources", map[string]any{
			"requests": map[string]any{"cpu": "500m", "memory": "512Mi"},
			"limits":   map[string]any{"memory": "1Gi"},
		}},
		{"podLabels", map[string]any{"team": "storage"}},
		{"podAnnotations", map[string]any{"example.com/owner": "sre"}},
		{"nodeSelector", map[string]any{"kubernetes.io/os": "linux"}},
		{"tolerations", []any{map[string]any{"key": "dedicated", "operator": "Equal", "value": "etcd", "effect": "NoSchedule"}}},
		{"affinity", map[string]any{"podAntiAffinity": map[string]any{
			"requiredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{
				"labelSelector": instance,
				"topologyKey":   "kubernetes.io/hostname",
			}},
		}}},
		{"topologySpreadConstraints", []any{map[string]any{
			"maxSkew": float64(1), "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
			"labelSelector": instance,
		}}},
		{"priorityClassName", "system-cluster-critical"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			v, ok := got[tt.key]
			if !ok {
				t.Fatalf("values have no %q", tt.key)
			}
			if !reflect.DeepEqual(v, tt.want) {
				t.Errorf("values[%q] =\n%s\nwant\n%s", tt.key, dump(t, v), dump(t, tt.want))
			}
		})
	}
	t.Run("rest unchanged", func(t *testing.T) {
		rest := map[string]any{}
		for k, v := range got {
			rest[k] = v
		}
		for _, tt := range tests {
			delete(rest, tt.key)
		}
		if want := defaultValues(); !reflect.DeepEqual(rest, want) {
			t.Errorf("placement changed other values:\n%s\nwant\n%s", dump(t, rest), dump(t, want))
		}
	})
}

func TestForDoesNotAliasTheSpec(t *testing.T) {
	ec := defaulted()
	ec.Spec.Pod.NodeSelector = map[string]string{"disk": "ssd"}
	members := []string{"demo-0", "demo-1"}
	got, err := For(ec, resources.For(ec, ""), Membership{Replicas: 2, State: StateExisting, InitialMembers: members})
	if err != nil {
		t.Fatalf("For: %v", err)
	}
	got["nodeSelector"].(map[string]any)["disk"] = "hdd"
	got["cluster"].(map[string]any)["initialMembers"].([]any)[0] = "changed"
	if ec.Spec.Pod.NodeSelector["disk"] != "ssd" || members[0] != "demo-0" {
		t.Fatalf("changing For's result changed its inputs: nodeSelector %v, members %v", ec.Spec.Pod.NodeSelector, members)
	}
}

// checkJSONTypes fails on any value a JSON decoder would not produce: the
// chart's schema validation must see what a values file would give it.
func checkJSONTypes(t *testing.T, path string, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			checkJSONTypes(t, path+"."+k, e)
		}
	case []any:
		for i, e := range x {
			checkJSONTypes(t, path+"["+strconv.Itoa(i)+"]", e)
		}
	case string, float64, bool:
	case nil:
		t.Errorf("%s is null; nulls should be dropped", path)
	default:
		t.Errorf("%s has Go type %T, not a plain JSON type", path, v)
	}
}

func dump(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshaling: %v", err)
	}
	return string(b)
}
