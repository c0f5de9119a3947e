package certs

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/pki"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// issued is a complete set signed by a new CA at now.
func issued(t *testing.T, reqs map[Kind]pki.Request, now time.Time) Set {
	t.Helper()
	ca, err := pki.NewCA("test CA", CALifetime, now)
	if err != nil {
		t.Fatal(err)
	}
	set := Set{CA: ca, Leaves: map[Kind]*pki.Leaf{}, Bundle: map[Kind][]byte{}}
	for _, k := range Leaves {
		leaf, err := ca.Issue(reqs[k], now)
		if err != nil {
			t.Fatal(err)
		}
		set.Leaves[k], set.Bundle[k] = leaf, ca.CertPEM
	}
	return set
}

func TestDecide(t *testing.T) {
	ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "ns"}}
	ec.Spec.TLS.CertificateLifetime = &metav1.Duration{Duration: 30 * time.Minute}
	policy := PolicyOf(ec.Spec.TLS)
	if policy.RenewBefore != 10*time.Minute {
		t.Fatalf("default renewBefore = %s, want a third of 30m", policy.RenewBefore)
	}
	reqs := Requests(resources.For(ec, ""), policy.Lifetime)

	if plan := Decide(Set{}, reqs, policy, t0); !plan.NewCA || !slices.Equal(plan.Issue, Leaves) {
		t.Fatalf("no CA: plan %+v, want a new CA and every leaf", plan)
	}

	set := issued(t, reqs, t0)
	plan := Decide(set, reqs, policy, t0.Add(time.Minute))
	if !plan.Empty() {
		t.Fatalf("a fresh set: plan %+v, want nothing", plan)
	}
	if want := t0.Add(20 * time.Minute); !plan.Next.Equal(want) {
		t.Fatalf("next look at %s, want %s (two thirds of the lifetime)", plan.Next, want)
	}
	if plan := Decide(set, reqs, policy, t0.Add(20*time.Minute)); !slices.Equal(plan.Issue, Leaves) || plan.NewCA {
		t.Fatalf("at renewal time: plan %+v, want every leaf and no new CA", plan)
	}

	// One leaf missing, one signed by another CA, one for other names.
	other := issued(t, reqs, t0)
	broken := Set{CA: set.CA, Leaves: map[Kind]*pki.Leaf{}, Bundle: map[Kind][]byte{}}
	for k, l := range set.Leaves {
		broken.Leaves[k], broken.Bundle[k] = l, set.Bundle[k]
	}
	delete(broken.Leaves, Client)
	broken.Leaves[Server] = other.Leaves[Server]
	wrongNames := reqs[Peer]
	wrongNames.DNSNames = []string{"*.elsewhere.svc.cluster.local"}
	leaf, err := set.CA.Issue(wrongNames, t0)
	if err != nil {
		t.Fatal(err)
	}
	broken.Leaves[Peer] = leaf
	plan = Decide(broken, reqs, policy, t0.Add(time.Minute))
	if plan.NewCA || !slices.Equal(plan.Issue, []Kind{Server, Peer, Client}) {
		t.Fatalf("plan %+v, want server, peer and client reissued under the same CA", plan)
	}
	for k, want := range map[Kind]string{Server: pki.ReasonUntrustedIssuer, Peer: pki.ReasonMissingSAN, Client: "missing"} {
		if plan.Why[k] != want {
			t.Errorf("why %s = %q, want %q", k, plan.Why[k], want)
		}
	}
}
