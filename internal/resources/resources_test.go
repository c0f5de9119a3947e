package resources

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

func TestNamesAndURLs(t *testing.T) {
	c := For(&etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "ns"}}, "")
	for got, want := range map[string]string{
		c.Pod(2):                   "db-2",
		c.Claim("db-2"):            "data-db-2",
		c.PeerURL("db-1"):          "https://db-1.db-peer.ns.svc.cluster.local:2380",
		c.ClientURL():              "https://db-client.ns.svc.cluster.local:2379",
		c.PodClientURL("10.1.2.3"): "https://10.1.2.3:2379",
		c.PodClientURL("fd00::1"):  "https://[fd00::1]:2379",
		c.ServerSecret():           "db-server-tls",
		c.ClientServiceHost():      "db-client.ns.svc.cluster.local",
		c.PeerNames()[0]:           "*.db-peer.ns.svc.cluster.local",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if pod, ok := c.PodOfClaim("data-db-3"); !ok || pod != "db-3" {
		t.Errorf("PodOfClaim(data-db-3) = %q, %v", pod, ok)
	}
	for _, claim := range []string{"data-other-0", "db-0", "data-db-x"} {
		if _, ok := c.PodOfClaim(claim); ok {
			t.Errorf("PodOfClaim(%q) claimed a pod of db", claim)
		}
	}
}

func TestOrdinal(t *testing.T) {
	for name, want := range map[string]int32{
		"db-0": 0, "db-12": 12, "db-01": -1, "db-": -1, "db-x": -1, "other-1": -1, "db-1-2": -1, "db--1": -1, "db": -1, "db-peer-1": -1, "http://db-1.db-peer.ns.svc.cluster.local:2380": -1,
	} {
		if got := Ordinal("db", name); got != want {
			t.Errorf("Ordinal(db, %q) = %d, want %d", name, got, want)
		}
	}
}

func TestTLSProviderOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec etcdv1alpha1.TLSProvider
		st   etcdv1alpha1.EtcdClusterStatus
		want etcdv1alpha1.TLSProvider
		http bool
	}{
		{name: "a new cluster without a provider gets TLS", want: etcdv1alpha1.TLSOperator},
		{name: "a new cluster with TLS disabled", spec: etcdv1alpha1.TLSDisabled, want: etcdv1alpha1.TLSDisabled, http: true},
		{name: "status decides once recorded", spec: etcdv1alpha1.TLSDisabled,
			st: etcdv1alpha1.EtcdClusterStatus{ClusterID: "1", TLS: &etcdv1alpha1.TLSStatus{Provider: etcdv1alpha1.TLSOperator}}, want: etcdv1alpha1.TLSOperator},
		{name: "a cluster formed before TLS stays on http", spec: etcdv1alpha1.TLSOperator,
			st: etcdv1alpha1.EtcdClusterStatus{ClusterID: "1"}, want: etcdv1alpha1.TLSDisabled, http: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "ns"}, Status: tc.st}
			ec.Spec.TLS.Provider = tc.spec
			if got := TLSProviderOf(ec); got != tc.want {
				t.Fatalf("TLSProviderOf = %q, want %q", got, tc.want)
			}
			if got := For(ec, "").Scheme; (got == "http") != tc.http {
				t.Fatalf("scheme %q", got)
			}
		})
	}
}
