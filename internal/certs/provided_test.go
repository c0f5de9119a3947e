package certs

import (
	"net"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/pki"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// provided is what a user's PKI might write: a server and client CA
// shared, and a peer CA of its own, with subjects of the user's choosing.
func provided(t *testing.T, reqs map[Kind]pki.Request) (Set, *pki.CA) {
	t.Helper()
	clients, err := pki.NewCA("corp clients", CALifetime, t0)
	if err != nil {
		t.Fatal(err)
	}
	peers, err := pki.NewCA("corp peers", CALifetime, t0)
	if err != nil {
		t.Fatal(err)
	}
	set := Set{Leaves: map[Kind]*pki.Leaf{}, Bundle: map[Kind][]byte{}}
	for k, ca := range map[Kind]*pki.CA{Server: clients, Client: clients, Peer: peers} {
		req := reqs[k]
		req.CommonName = "corp-" + string(k)
		leaf, err := ca.Issue(req, t0)
		if err != nil {
			t.Fatal(err)
		}
		set.Leaves[k], set.Bundle[k] = leaf, ca.CertPEM
	}
	return set, clients
}

func TestCheckProvided(t *testing.T) {
	ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "ns"}}
	reqs := Requests(resources.For(ec, ""), time.Hour)
	good, clients := provided(t, reqs)
	if p := CheckProvided(good, reqs, t0.Add(time.Minute)); p != nil {
		t.Fatalf("a good set: %v", p)
	}

	other, err := pki.NewCA("someone else", CALifetime, t0)
	if err != nil {
		t.Fatal(err)
	}
	reissue := func(ca *pki.CA, k Kind, change func(*pki.Request)) Set {
		set := good.Clone()
		req := reqs[k]
		change(&req)
		leaf, err := ca.Issue(req, t0)
		if err != nil {
			t.Fatal(err)
		}
		set.Leaves[k] = leaf
		return set
	}
	missing := good.Clone()
	delete(missing.Leaves, Peer)

	for _, tc := range []struct {
		name   string
		set    Set
		at     time.Time
		kind   Kind
		reason string
	}{
		{"a Secret missing", missing, t0, Peer, ""},
		{"expired", good, t0.Add(2 * time.Hour), Server, pki.ReasonExpired},
		{"a server certificate of another CA", reissue(other, Server, func(*pki.Request) {}), t0, Server, pki.ReasonUntrustedIssuer},
		{"a client certificate members would not trust", reissue(other, Client, func(*pki.Request) {}), t0, Client, pki.ReasonUntrustedIssuer},
		{"a server certificate without the client Service's name", reissue(clients, Server, func(r *pki.Request) {
			r.DNSNames, r.IPs = []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}
		}), t0, Server, pki.ReasonMissingSAN},
		{"a server certificate without serverAuth", reissue(clients, Server, func(r *pki.Request) { r.Usage = pki.Client }), t0, Server, pki.ReasonWrongUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := CheckProvided(tc.set, reqs, tc.at.Add(time.Minute))
			if p == nil {
				t.Fatal("accepted")
			}
			if p.Kind != tc.kind {
				t.Fatalf("problem with %s, want %s: %v", p.Kind, tc.kind, p)
			}
			if tc.reason != "" && pki.ReasonOf(p.Err) != tc.reason {
				t.Fatalf("reason %q, want %q: %v", pki.ReasonOf(p.Err), tc.reason, p)
			}
		})
	}
}
