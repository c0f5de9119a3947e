package controller_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// The exact verbs the operator's code uses, per API group and resource. The
// operator writes its workload with server-side apply (patch; create when the
// object is new), leaves deleting it to the garbage collector (owner
// references), patches EtcdClusters and their status, deletes pods and claims
// one by one and claims all at once (DeleteAllOf = deletecollection), and
// records events through events.k8s.io. A role that grants more or less than
// this fails the test: widen the list here only with the code that needs it.
var managerVerbs = map[string][]string{
	"apps/statefulsets":                    {"create", "get", "list", "patch", "watch"},
	"/services":                            {"create", "get", "list", "patch", "watch"},
	"/configmaps":                          {"create", "get", "list", "patch", "watch"},
	"/persistentvolumeclaims":              {"delete", "deletecollection", "get", "list", "watch"},
	"/pods":                                {"delete", "get", "list", "watch"},
	"events.k8s.io/events":                 {"create", "patch"},
	"etcd.etcd.io/etcdclusters":            {"get", "list", "patch", "watch"},
	"etcd.etcd.io/etcdclusters/status":     {"patch"},
	"etcd.etcd.io/etcdclusters/finalizers": {"update"},
}

// Leader election (controller-runtime's leases lock) reads, creates and
// renews one Lease in the operator's namespace, and records its events with
// the core events API.
var leaderElectionVerbs = map[string][]string{
	"coordination.k8s.io/leases": {"create", "get", "update"},
	"/events":                    {"create", "patch"},
}

// verbsByResource flattens rules to "group/resource" -> sorted verbs, failing
// on what a least-privilege role must not hold: wildcards, resource names
// (not used by the operator) and non-resource URLs.
func verbsByResource(t *testing.T, rules []rbacv1.PolicyRule) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for _, r := range rules {
		if len(r.NonResourceURLs) > 0 || len(r.ResourceNames) > 0 {
			t.Errorf("rule %+v: nonResourceURLs and resourceNames are not expected", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					if g == "*" || res == "*" || v == "*" {
						t.Errorf("rule %+v: wildcard", r)
					}
					k := g + "/" + res
					if !slices.Contains(got[k], v) {
						got[k] = append(got[k], v)
					}
				}
			}
		}
	}
	for k := range got {
		slices.Sort(got[k])
	}
	return got
}

func compareVerbs(t *testing.T, file string, got, want map[string][]string) {
	t.Helper()
	for k, w := range want {
		if !slices.Equal(got[k], w) {
			t.Errorf("%s: %s verbs = %v, want exactly %v", file, k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %s %v is granted but the operator does not use it", file, k, g)
		}
	}
}

func readRole(t *testing.T, name, kind string) rbacv1.ClusterRole {
	t.Helper()
	file := filepath.Join("..", "..", "config", "rbac", name)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// A Role and a ClusterRole have the same rules; read both as ClusterRole.
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(data, &role); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if role.Kind != kind {
		t.Fatalf("%s: kind %q, want %q", file, role.Kind, kind)
	}
	return role
}

// TestManagerRoleVerbs checks the role controller-gen generates from the
// markers in rbac.go (config/rbac/role.yaml).
func TestManagerRoleVerbs(t *testing.T) {
	role := readRole(t, "role.yaml", "ClusterRole")
	compareVerbs(t, "role.yaml", verbsByResource(t, role.Rules), managerVerbs)
}

// TestLeaderElectionRoleVerbs checks config/rbac/leader_election_role.yaml.
func TestLeaderElectionRoleVerbs(t *testing.T) {
	role := readRole(t, "leader_election_role.yaml", "Role")
	compareVerbs(t, "leader_election_role.yaml", verbsByResource(t, role.Rules), leaderElectionVerbs)
}
