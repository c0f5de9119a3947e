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
		c.PeerURL("db-1"):          "http://db-1.db-peer.ns.svc.cluster.local:2380",
		c.ClientURL():              "http://db-client.ns.svc.cluster.local:2379",
		c.PodClientURL("10.1.2.3"): "http://10.1.2.3:2379",
		c.PodClientURL("fd00::1"):  "http://[fd00::1]:2379",
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
