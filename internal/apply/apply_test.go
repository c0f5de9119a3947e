package apply

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

type obj = map[string]any
type list = []any

// container is a rendered container, as decoded from YAML (numbers float64).
func container() obj {
	return obj{
		"name":  "etcd",
		"image": "quay.io/coreos/etcd:v3.7.3",
		"ports": list{
			obj{"name": "client", "containerPort": float64(2379), "protocol": "TCP"},
			obj{"name": "peer", "containerPort": float64(2380), "protocol": "TCP"},
		},
		"env": list{
			obj{"name": "POD_NAME", "valueFrom": obj{"fieldRef": obj{"fieldPath": "metadata.name"}}},
		},
	}
}

// liveContainer is container as the API server returns it: int64 numbers
// and defaulted fields.
func liveContainer() obj {
	return obj{
		"name":                     "etcd",
		"image":                    "quay.io/coreos/etcd:v3.7.3",
		"terminationMessagePath":   "/dev/termination-log",
		"terminationMessagePolicy": "File",
		"ports": list{
			obj{"name": "client", "containerPort": int64(2379), "protocol": "TCP"},
			obj{"name": "peer", "containerPort": int64(2380), "protocol": "TCP"},
		},
		"env": list{
			obj{"name": "POD_NAME", "valueFrom": obj{"fieldRef": obj{"apiVersion": "v1", "fieldPath": "metadata.name"}}},
		},
		"resources": obj{},
	}
}

func TestContains(t *testing.T) {
	tests := []struct {
		name string
		have any
		want any
		ok   bool
	}{
		// Maps.
		{"equal maps", obj{"a": "x", "b": true}, obj{"a": "x", "b": true}, true},
		{"both empty", obj{}, obj{}, true},
		{"empty want", obj{"a": "x"}, obj{}, true},
		{"extra live fields from server defaults", obj{"a": "x", "uid": "123", "creationTimestamp": "2024-01-01T00:00:00Z"}, obj{"a": "x"}, true},
		{"missing field", obj{"a": "x"}, obj{"a": "x", "b": "y"}, false},
		{"missing nested field", obj{"spec": obj{"a": "x"}}, obj{"spec": obj{"a": "x", "b": "y"}}, false},
		{"changed scalar", obj{"a": "x"}, obj{"a": "y"}, false},
		{"changed nested scalar", obj{"spec": obj{"replicas": int64(3)}}, obj{"spec": obj{"replicas": float64(4)}}, false},
		{"changed bool", obj{"a": true}, obj{"a": false}, false},
		{"map where a scalar is wanted", obj{"a": obj{"b": "c"}}, obj{"a": "b"}, false},
		{"scalar where a map is wanted", obj{"a": "b"}, obj{"a": obj{"b": "c"}}, false},
		{"nil where a map is wanted", nil, obj{"a": "b"}, false},

		// Numbers: live objects carry int64, rendered ones float64.
		{"int64 vs float64 equal", int64(3), float64(3), true},
		{"float64 vs int64 equal", float64(3), int64(3), true},
		{"int32 vs float64 equal", int32(2380), float64(2380), true},
		{"int vs int64 equal", 65532, int64(65532), true},
		{"large int64 vs float64", int64(2147483648), float64(2147483648), true},
		{"int64 vs float64 differ", int64(3), float64(5), false},
		{"fractional float differs", int64(1), float64(1.5), false},
		{"number vs numeric string", int64(3), "3", false},
		{"numeric string vs number", "3", float64(3), false},
		{"nested int64 vs float64", obj{"spec": obj{"replicas": int64(3)}}, obj{"spec": obj{"replicas": float64(3)}}, true},

		// Scalars other than numbers.
		{"equal strings", "a", "a", true},
		{"different strings", "a", "b", false},
		{"bool vs string", true, "true", false},
		{"both nil", nil, nil, true},

		// Lists.
		{"equal lists", list{"a", "b"}, list{"a", "b"}, true},
		{"list order matters", list{"a", "b"}, list{"b", "a"}, false},
		{"list length differs: live longer", list{"a", "b", "c"}, list{"a", "b"}, false},
		{"list length differs: live shorter", list{"a"}, list{"a", "b"}, false},
		{"list where a scalar is wanted", list{"a"}, "a", false},
		{"scalar where a list is wanted", "a", list{"a"}, false},
		{"list where a map is wanted", list{}, obj{}, false},
		{"live list not empty where empty wanted", list{"a"}, list{}, false},
		{"empty lists", list{}, list{}, true},

		// Empty values the API server drops.
		{"empty map in want, absent in live", obj{"a": "x"}, obj{"a": "x", "labels": obj{}}, true},
		{"empty list in want, absent in live", obj{"a": "x"}, obj{"a": "x", "args": list{}}, true},
		{"null in want, absent in live", obj{"a": "x"}, obj{"a": "x", "b": nil}, true},
		{"empty list in want, null in live", obj{"args": nil}, obj{"args": list{}}, true},
		{"non-empty map in want, absent in live", obj{"a": "x"}, obj{"a": "x", "labels": obj{"k": "v"}}, false},

		// Nested lists of maps.
		{"nested list of maps with server defaults", obj{"containers": list{liveContainer()}}, obj{"containers": list{container()}}, true},
		{
			name: "nested list of maps with a changed element",
			have: obj{"containers": list{liveContainer()}},
			want: obj{"containers": list{func() obj {
				c := container()
				c["ports"].(list)[1].(obj)["containerPort"] = float64(2381)
				return c
			}()}},
			ok: false,
		},
		{
			name: "nested list of maps with an element missing a field",
			have: obj{"containers": list{func() obj {
				c := liveContainer()
				delete(c["env"].(list)[0].(obj)["valueFrom"].(obj)["fieldRef"].(obj), "fieldPath")
				return c
			}()}},
			want: obj{"containers": list{container()}},
			ok:   false,
		},
		{
			name: "nested list of maps with an extra element in live",
			have: obj{"containers": list{liveContainer(), obj{"name": "sidecar"}}},
			want: obj{"containers": list{container()}},
			ok:   false,
		},
		{
			name: "list of lists",
			have: obj{"m": list{list{int64(1), int64(2)}, list{"x"}}},
			want: obj{"m": list{list{float64(1), float64(2)}, list{"x"}}},
			ok:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Contains(tt.have, tt.want); got != tt.ok {
				t.Errorf("Contains(\n  have %#v,\n  want %#v) = %v, want %v", tt.have, tt.want, got, tt.ok)
			}
		})
	}
}

func TestContainsRenderedStatefulSet(t *testing.T) {
	rendered := obj{
		"apiVersion": "apps/v1",
		"kind":       "StatefulSet",
		"metadata":   obj{"name": "demo", "namespace": "prod", "labels": obj{"app.kubernetes.io/managed-by": "etcd-operator"}},
		"spec": obj{
			"replicas": float64(3),
			"template": obj{"spec": obj{"containers": list{container()}}},
		},
	}
	live := obj{
		"apiVersion": "apps/v1",
		"kind":       "StatefulSet",
		"metadata": obj{
			"name": "demo", "namespace": "prod", "uid": "abc", "resourceVersion": "42", "generation": int64(1),
			"labels":      obj{"app.kubernetes.io/managed-by": "etcd-operator", "added-by-someone": "x"},
			"annotations": obj{"note": "x"},
		},
		"spec": obj{
			"replicas":             int64(3),
			"revisionHistoryLimit": int64(10),
			"template":             obj{"spec": obj{"containers": list{liveContainer()}, "dnsPolicy": "ClusterFirst"}},
		},
		"status": obj{"replicas": int64(3), "readyReplicas": int64(2)},
	}
	if !Contains(live, rendered) {
		t.Fatal("a live StatefulSet with only server defaults and status added does not contain its rendering")
	}

	scaled := obj{}
	for k, v := range rendered {
		scaled[k] = v
	}
	scaled["spec"] = obj{"replicas": float64(4), "template": rendered["spec"].(obj)["template"]}
	if Contains(live, scaled) {
		t.Fatal("a live StatefulSet with 3 replicas contains a rendering with 4")
	}
}

func TestGVKs(t *testing.T) {
	mk := func(apiVersion, kind, name string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(apiVersion)
		u.SetKind(kind)
		u.SetName(name)
		return u
	}
	got := GVKs([]*unstructured.Unstructured{
		mk("v1", "ConfigMap", "demo-config"),
		mk("v1", "Service", "demo-client"),
		mk("v1", "Service", "demo-peer"),
		mk("apps/v1", "StatefulSet", "demo"),
	})
	want := []schema.GroupVersionKind{
		{Version: "v1", Kind: "ConfigMap"},
		{Version: "v1", Kind: "Service"},
		{Group: "apps", Version: "v1", Kind: "StatefulSet"},
	}
	if len(got) != len(want) {
		t.Fatalf("GVKs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("GVKs[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if got := GVKs(nil); len(got) != 0 {
		t.Errorf("GVKs(nil) = %v, want none", got)
	}
}
