package controller_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// The exact verbs the operator's code uses, per API group and resource. The
// operator writes its workload with server-side apply (patch; create when the
// object is new), leaves deleting it to the garbage collector (owner
// references), patches EtcdClusters and their status, deletes pods and claims
// one by one and claims all at once (DeleteAllOf = deletecollection), and
// records events through events.k8s.io, and runs backups as Jobs. It creates the certificate Secrets
// and updates them to renew (only the ones it labeled are cached). A role that grants more or less than
// this fails the test: widen the list here only with the code that needs it.
var managerVerbs = map[string][]string{
	"apps/statefulsets":                    {"create", "get", "list", "patch", "watch"},
	"/services":                            {"create", "get", "list", "patch", "watch"},
	"/configmaps":                          {"create", "get", "list", "patch", "watch"},
	"/persistentvolumeclaims":              {"delete", "deletecollection", "get", "list", "watch"},
	"/pods":                                {"delete", "get", "list", "watch"},
	"/secrets":                             {"create", "get", "list", "update", "watch"},
	"events.k8s.io/events":                 {"create", "patch"},
	"etcd.etcd.io/etcdclusters":            {"get", "list", "patch", "watch"},
	"etcd.etcd.io/etcdclusters/status":     {"patch"},
	"etcd.etcd.io/etcdclusters/finalizers": {"update"},
	// Backups (internal/backupcontroller): a schedule creates and deletes
	// its runs; a backup runs the agent in a Job (whose garbage collection
	// follows the EtcdBackup) and holds a finalizer to delete its object.
	"etcd.etcd.io/etcdbackups":                {"create", "delete", "get", "list", "patch", "watch"},
	"etcd.etcd.io/etcdbackups/status":         {"patch"},
	"etcd.etcd.io/etcdbackups/finalizers":     {"update"},
	"etcd.etcd.io/etcdbackupschedules":        {"get", "list", "watch"},
	"etcd.etcd.io/etcdbackupschedules/status": {"patch"},
	"batch/jobs": {"create", "get", "list", "watch"},
}

// Leader election (controller-runtime's leases lock) reads, creates and
// renews one Lease in the operator's namespace, and records its events with
// the core events API.
var leaderElectionVerbs = map[string][]string{
	"coordination.k8s.io/leases": {"create", "get", "update"},
	"/events":                    {"create", "patch"},
}

// The metrics endpoint's authentication and authorization: create-only,
// cluster-scoped reviews, the operator's only cluster-wide permission.
var metricsAuthVerbs = map[string][]string{
	"authentication.k8s.io/tokenreviews":        {"create"},
	"authorization.k8s.io/subjectaccessreviews": {"create"},
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

// TestMetricsAuthRoleVerbs checks config/rbac/metrics_auth_role.yaml.
func TestMetricsAuthRoleVerbs(t *testing.T) {
	role := readRole(t, "metrics_auth_role.yaml", "ClusterRole")
	compareVerbs(t, "metrics_auth_role.yaml", verbsByResource(t, role.Rules), metricsAuthVerbs)
}

// TestLeaderElectionRoleVerbs checks config/rbac/leader_election_role.yaml.
func TestLeaderElectionRoleVerbs(t *testing.T) {
	role := readRole(t, "leader_election_role.yaml", "Role")
	compareVerbs(t, "leader_election_role.yaml", verbsByResource(t, role.Rules), leaderElectionVerbs)
}

// The OLM bundle's CSV, as much of it as the tests below read.
type csvFile struct {
	Metadata struct {
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		MinKubeVersion string `json:"minKubeVersion"`
		RelatedImages  []struct {
			Name  string `json:"name"`
			Image string `json:"image"`
		} `json:"relatedImages"`
		InstallModes []struct {
			Type      string `json:"type"`
			Supported bool   `json:"supported"`
		} `json:"installModes"`
		Install struct {
			Spec struct {
				Permissions        []csvPermissions `json:"permissions"`
				ClusterPermissions []csvPermissions `json:"clusterPermissions"`
				Deployments        []struct {
					Name string                `json:"name"`
					Spec appsv1.DeploymentSpec `json:"spec"`
				} `json:"deployments"`
			} `json:"spec"`
		} `json:"install"`
	} `json:"spec"`
}

type csvPermissions struct {
	ServiceAccountName string              `json:"serviceAccountName"`
	Rules              []rbacv1.PolicyRule `json:"rules"`
}

const csvPath = "../../bundle/manifests/etcd-operator.clusterserviceversion.yaml"

func readCSV(t *testing.T) csvFile {
	t.Helper()
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	var csv csvFile
	if err := yaml.Unmarshal(data, &csv); err != nil {
		t.Fatalf("%s: %v", csvPath, err)
	}
	if n := len(csv.Spec.Install.Spec.Deployments); n != 1 {
		t.Fatalf("%s: %d deployments, want 1", csvPath, n)
	}
	return csv
}

// TestBundlePermissionsAreNamespaced checks that the CSV asks for namespaced
// permissions only, but for the metrics endpoint's reviews. OLM grants a
// CSV's clusterPermissions cluster-wide whatever the install mode, and its
// permissions as Roles in the OperatorGroup's target namespaces (as a
// ClusterRole only for AllNamespaces): an OwnNamespace or SingleNamespace
// install must not get cluster-wide rights to any object.
func TestBundlePermissionsAreNamespaced(t *testing.T) {
	csv := readCSV(t)
	install := csv.Spec.Install.Spec
	sa := install.Deployments[0].Spec.Template.Spec.ServiceAccountName
	if len(install.ClusterPermissions) != 1 || install.ClusterPermissions[0].ServiceAccountName != sa {
		t.Fatalf("clusterPermissions = %+v, want one entry, the metrics reviews of %q", install.ClusterPermissions, sa)
	}
	compareVerbs(t, "CSV clusterPermissions", verbsByResource(t, install.ClusterPermissions[0].Rules), metricsAuthVerbs)
	if len(install.Permissions) != 1 || install.Permissions[0].ServiceAccountName != sa {
		t.Fatalf("permissions = %+v, want one entry, for the manager's service account %q", install.Permissions, sa)
	}
	want := map[string][]string{}
	maps.Copy(want, managerVerbs)
	maps.Copy(want, leaderElectionVerbs)
	compareVerbs(t, "CSV permissions", verbsByResource(t, install.Permissions[0].Rules), want)
	for _, m := range csv.Spec.InstallModes {
		if !m.Supported && m.Type != "MultiNamespace" {
			t.Errorf("install mode %s is not supported", m.Type)
		}
	}
}

// TestConfigDefaultBindsClusterWide: `kubectl apply -k config/default`
// installs for all namespaces, so there the role stays a ClusterRole bound by
// a ClusterRoleBinding (config/manifests rebinds it for the bundle).
func TestConfigDefaultBindsClusterWide(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "role_binding.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var b rbacv1.ClusterRoleBinding
	if err := yaml.UnmarshalStrict(data, &b); err != nil {
		t.Fatal(err)
	}
	if b.Kind != "ClusterRoleBinding" || b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != "manager-role" {
		t.Errorf("role_binding.yaml: %s to %s %s, want a ClusterRoleBinding to ClusterRole manager-role", b.Kind, b.RoleRef.Kind, b.RoleRef.Name)
	}
}

// qualified reports whether ref names its registry: an unqualified name
// ("etcd-operator:v0.1.0") is pulled from docker.io.
func qualified(ref string) bool {
	host, _, ok := strings.Cut(ref, "/")
	return ok && (strings.ContainsAny(host, ".:") || host == "localhost")
}

// crdDefault is the CRD's default of spec.<field>.
func crdDefault(t *testing.T, field string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", "etcd.etcd.io_etcdclusters.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Schema struct {
					OpenAPIV3Schema struct {
						Properties map[string]struct {
							Properties map[string]struct {
								Default any `json:"default"`
							} `json:"properties"`
						} `json:"properties"`
					} `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) != 1 {
		t.Fatalf("CRD has %d versions, want 1", len(crd.Spec.Versions))
	}
	d, ok := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties[field].Default.(string)
	if !ok {
		t.Fatalf("CRD: spec.%s has no string default", field)
	}
	return d
}

// TestBundleImages: the operator image is fully qualified everywhere it is
// set, and the CSV's relatedImages list it and the default etcd image.
func TestBundleImages(t *testing.T) {
	csv := readCSV(t)
	containers := csv.Spec.Install.Spec.Deployments[0].Spec.Template.Spec.Containers
	if len(containers) != 1 {
		t.Fatalf("%d containers, want 1", len(containers))
	}
	img := containers[0].Image
	if !qualified(img) {
		t.Errorf("operator image %q has no registry: it would be pulled from docker.io", img)
	}
	if got := csv.Metadata.Annotations["containerImage"]; got != img {
		t.Errorf("containerImage = %q, want the Deployment's %q", got, img)
	}
	etcd := crdDefault(t, "repository") + ":v" + crdDefault(t, "version")
	want := map[string]string{"etcd-operator": img, "etcd": etcd}
	got := map[string]string{}
	for _, r := range csv.Spec.RelatedImages {
		got[r.Name] = r.Image
	}
	if !maps.Equal(got, want) {
		t.Errorf("relatedImages = %v, want %v", got, want)
	}

	data, err := os.ReadFile(filepath.Join("..", "..", "config", "manager", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Images []struct {
			Name    string `json:"name"`
			NewName string `json:"newName"`
		} `json:"images"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	for _, i := range k.Images {
		if !qualified(i.NewName) {
			t.Errorf("config/manager: image %s -> %q has no registry", i.Name, i.NewName)
		}
	}
}

// TestBundleMinKubeVersion: the CRD's validation rules use the CEL semver
// library (isSemver, semver), which kube-apiserver has from 1.33 but accepts
// in a new CRD only from 1.34 (make test-crd-min installs the CRD, and runs
// every admission rule, on 1.34).
func TestBundleMinKubeVersion(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", "etcd.etcd.io_etcdclusters.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "semver(") {
		t.Fatal("the CRD no longer uses CEL semver: reconsider minKubeVersion and this test")
	}
	v := readCSV(t).Spec.MinKubeVersion
	var major, minor, patch int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil {
		t.Fatalf("minKubeVersion %q: %v", v, err)
	}
	if major != 1 || minor < 34 {
		t.Errorf("minKubeVersion = %s, want 1.34.0 or later (CEL semver functions in new CRDs)", v)
	}
}

// TestBundleWatchesTheTargetNamespaces: with namespaced permissions, an
// OwnNamespace or SingleNamespace install can only list in the
// OperatorGroup's target namespaces, so the operator must watch those
// (WATCH_NAMESPACE from OLM's olm.targetNamespaces annotation), not all.
func TestBundleWatchesTheTargetNamespaces(t *testing.T) {
	d := readCSV(t).Spec.Install.Spec.Deployments[0]
	found := 0
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.Name != "WATCH_NAMESPACE" {
				continue
			}
			found++
			if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "metadata.annotations['olm.targetNamespaces']" {
				t.Fatalf("WATCH_NAMESPACE = %+v, want it from metadata.annotations['olm.targetNamespaces']", e)
			}
		}
	}
	// OLM refuses a CSV whose container repeats an env name.
	if found != 1 {
		t.Fatalf("the operator's Deployment sets WATCH_NAMESPACE %d times, want once", found)
	}
}
