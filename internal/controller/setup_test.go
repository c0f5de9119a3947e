package controller

import (
	"maps"
	"slices"
	"testing"
)

// --watch-namespaces (or WATCH_NAMESPACE) limits the cache, and so the
// clusters reconciled, to the namespaces named; empty watches all.
func TestCacheOptionsWatchNamespaces(t *testing.T) {
	if got := CacheOptions("").DefaultNamespaces; got != nil {
		t.Fatalf("no namespaces given: DefaultNamespaces = %v, want nil (all)", got)
	}
	got := slices.Sorted(maps.Keys(CacheOptions(" team-a, ,team-b ").DefaultNamespaces))
	if !slices.Equal(got, []string{"team-a", "team-b"}) {
		t.Fatalf("DefaultNamespaces = %v, want [team-a team-b]", got)
	}
	// The chart's kinds are cached only when the operator labeled them.
	for obj, by := range CacheOptions("").ByObject {
		if by.Label == nil || by.Label.String() != "app.kubernetes.io/managed-by=etcd-operator" {
			t.Errorf("%T cached with label selector %v, want managed-by=etcd-operator", obj, by.Label)
		}
	}
}
