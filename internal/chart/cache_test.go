package chart

import (
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestCacheRendersOnlyWhenValuesChange(t *testing.T) {
	r, err := Load(filepath.Join("..", "..", "helm-charts", "etcd-cluster"))
	if err != nil {
		t.Fatal(err)
	}
	c := NewCache(r)
	rel := Release{Name: "demo", Namespace: "ns"}

	first, err := c.Render(rel, map[string]any{"replicas": 3})
	if err != nil {
		t.Fatal(err)
	}
	// Callers mutate what they get (owner references): the cache must not share it.
	first[0].SetName("mutated")
	second, err := c.Render(rel, map[string]any{"replicas": 3})
	if err != nil {
		t.Fatal(err)
	}
	if second[0].GetName() == "mutated" {
		t.Fatal("cache handed out its own objects: a caller's change leaked into the next render")
	}
	if c.entries[rel].objs[0] == second[0] {
		t.Fatal("cache returned the cached pointer, not a copy")
	}
	if n := c.Renders(); n != 1 {
		t.Fatalf("%d renders through Helm for the same values twice, want 1: the second must come from the cache", n)
	}

	cached := c.entries[rel].objs
	third, err := c.Render(rel, map[string]any{"replicas": 5})
	if err != nil {
		t.Fatal(err)
	}
	if c.entries[rel].objs[0] == cached[0] {
		t.Fatal("changed values did not re-render")
	}
	if n := c.Renders(); n != 2 {
		t.Fatalf("%d renders through Helm after a values change, want 2", n)
	}
	if got := replicasOf(t, third); got != 5 {
		t.Fatalf("replicas after a values change = %d, want 5", got)
	}

	c.Forget(rel)
	if _, ok := c.entries[rel]; ok {
		t.Fatal("Forget kept the entry")
	}
	if _, err := c.Render(rel, map[string]any{"replicas": 0}); err == nil {
		t.Fatal("invalid values must fail the schema even through the cache")
	}
}

func replicasOf(t *testing.T, objs []*unstructured.Unstructured) int64 {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == "StatefulSet" {
			n, _, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "replicas")
			switch v := n.(type) {
			case int64:
				return v
			case float64:
				return int64(v)
			}
			t.Fatalf("spec.replicas is %T", n)
		}
	}
	t.Fatal("no StatefulSet rendered")
	return 0
}
