package chart

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/etcd-operator/etcd-operator/internal/resources"
	"github.com/etcd-operator/etcd-operator/internal/values"
)

// The chart's _helpers.tpl and internal/resources must name every object and
// address alike: the controller finds and dials what the chart rendered by
// the package's names alone.
func TestChartAndResourcesAgree(t *testing.T) {
	ec := cluster()
	for _, domain := range []string{"cluster.local", "corp.example"} {
		names := resources.For(ec, domain)
		vals, err := values.For(ec, names, values.Membership{Replicas: 3, State: values.StateNew})
		if err != nil {
			t.Fatal(err)
		}
		objs := render(t, loadChart(t), vals)
		byKind := map[string]*unstructured.Unstructured{}
		for _, o := range objs {
			byKind[o.GetKind()+"/"+o.GetName()] = o
			for k, v := range names.ManagedLabels() {
				if o.GetLabels()[k] != v {
					t.Errorf("%s %s: label %s=%q, want %q", o.GetKind(), o.GetName(), k, o.GetLabels()[k], v)
				}
			}
		}
		sts := mustFind(t, byKind, "StatefulSet/"+names.StatefulSet())
		mustFind(t, byKind, "Service/"+names.PeerService())
		mustFind(t, byKind, "Service/"+names.ClientService())
		cm := mustFind(t, byKind, "ConfigMap/"+names.ConfigMap())

		if got, _, _ := unstructured.NestedString(sts.Object, "spec", "serviceName"); got != names.PeerService() {
			t.Errorf("serviceName %q, want %q", got, names.PeerService())
		}
		sel, _, _ := unstructured.NestedStringMap(sts.Object, "spec", "selector", "matchLabels")
		if !reflect.DeepEqual(sel, names.SelectorLabels()) {
			t.Errorf("selector %v, want %v", sel, names.SelectorLabels())
		}
		claims, _, _ := unstructured.NestedSlice(sts.Object, "spec", "volumeClaimTemplates")
		if len(claims) != 1 {
			t.Fatalf("%d claim templates, want 1", len(claims))
		}
		tmpl := claims[0].(map[string]any)
		claimName, _, _ := unstructured.NestedString(tmpl, "metadata", "name")
		// The StatefulSet names a pod's claim <template>-<pod>.
		if got := claimName + "-" + names.Pod(1); got != names.Claim(names.Pod(1)) {
			t.Errorf("claim of pod 1 is %q, resources says %q", got, names.Claim(names.Pod(1)))
		}
		claimLabels, _, _ := unstructured.NestedStringMap(tmpl, "metadata", "labels")
		for k, v := range names.ManagedLabels() {
			if claimLabels[k] != v {
				t.Errorf("claim template label %s=%q, want %q", k, claimLabels[k], v)
			}
		}

		initial, _, _ := unstructured.NestedString(cm.Object, "data", "ETCD_INITIAL_CLUSTER")
		var want []string
		for i := range int32(3) {
			want = append(want, names.Pod(i)+"="+names.PeerURL(names.Pod(i)))
		}
		if initial != strings.Join(want, ",") {
			t.Errorf("ETCD_INITIAL_CLUSTER %q, want %q", initial, strings.Join(want, ","))
		}
		env := containerEnv(t, sts)
		// The pod's name is substituted by the kubelet: $(POD_NAME).
		if got, want := env["ETCD_INITIAL_ADVERTISE_PEER_URLS"], names.PeerURL("$(POD_NAME)"); got != want {
			t.Errorf("advertised peer URL %q, want %q", got, want)
		}
		if got, want := env["ETCD_ADVERTISE_CLIENT_URLS"], names.AdvertisedClientURL("$(POD_NAME)"); got != want {
			t.Errorf("advertised client URL %q, want %q", got, want)
		}
		ports := containerPorts(t, sts)
		for name, want := range map[string]int64{"client": resources.ClientPort, "peer": resources.PeerPort, "metrics": resources.MetricsPort} {
			if ports[name] != want {
				t.Errorf("container port %s = %d, want %d", name, ports[name], want)
			}
		}
	}
}

func mustFind(t *testing.T, objs map[string]*unstructured.Unstructured, key string) *unstructured.Unstructured {
	t.Helper()
	o, ok := objs[key]
	if !ok {
		t.Fatalf("the chart rendered no %s", key)
	}
	return o
}

func etcdContainer(t *testing.T, sts *unstructured.Unstructured) map[string]any {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(sts.Object, "spec", "template", "spec", "containers")
	for _, c := range cs {
		if m := c.(map[string]any); m["name"] == resources.EtcdContainer {
			return m
		}
	}
	t.Fatalf("no container named %s", resources.EtcdContainer)
	return nil
}

func containerEnv(t *testing.T, sts *unstructured.Unstructured) map[string]string {
	out := map[string]string{}
	envs, _, _ := unstructured.NestedSlice(etcdContainer(t, sts), "env")
	for _, e := range envs {
		m := e.(map[string]any)
		if v, ok := m["value"].(string); ok {
			out[m["name"].(string)] = v
		}
	}
	return out
}

func containerPorts(t *testing.T, sts *unstructured.Unstructured) map[string]int64 {
	out := map[string]int64{}
	ps, _, _ := unstructured.NestedSlice(etcdContainer(t, sts), "ports")
	for _, p := range ps {
		m := p.(map[string]any)
		switch n := m["containerPort"].(type) { // YAML decodes through JSON numbers
		case float64:
			out[m["name"].(string)] = int64(n)
		case int64:
			out[m["name"].(string)] = n
		}
	}
	return out
}
