package controller

import (
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/certs"
	"github.com/etcd-operator/etcd-operator/internal/pki"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// issuedSecrets are the Secrets of a cluster whose certificates were just
// issued, as the cache would hand them to a pass.
func issuedSecrets(tb testing.TB, names resources.Cluster, now time.Time) map[certs.Kind]*corev1.Secret {
	tb.Helper()
	ca, err := pki.NewCA("bench CA", certs.CALifetime, now)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[certs.Kind]*corev1.Secret{certs.CA: {
		ObjectMeta: metav1.ObjectMeta{UID: "ca", ResourceVersion: "1"},
		Data:       map[string][]byte{keyCert: ca.CertPEM, keyKey: ca.KeyPEM}}}
	for i, kind := range certs.Leaves {
		leaf, err := ca.Issue(certs.Requests(names, certs.DefaultLifetime)[kind], now)
		if err != nil {
			tb.Fatal(err)
		}
		out[kind] = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{UID: types.UID(kind), ResourceVersion: strconv.Itoa(i + 2)},
			Data: map[string][]byte{keyCA: ca.CertPEM, keyCert: leaf.CertPEM, keyKey: leaf.KeyPEM}}
	}
	return out
}

// A pass over a TLS cluster whose Secrets did not change, with the cache
// (what the operator does) and without it (parse and check every time):
// the first does no parsing, verifying or signing. Run by make bench.
func BenchmarkCertificatesNoChange(b *testing.B) {
	ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Name: "bench", Namespace: "ns"}}
	names := resources.For(ec, "")
	now := time.Now()
	secrets := issuedSecrets(b, names, now)
	key := types.NamespacedName{Namespace: "ns", Name: "bench"}
	policy := certs.PolicyOf(ec.Spec.TLS)
	reqs := certs.Requests(names, policy.Lifetime)

	b.Run("cached", func(b *testing.B) {
		var cache certCache
		var tlsCfg clientTLS
		set := parseSecrets(secrets)
		plan := certs.Decide(set, reqs, policy, now)
		cache.store(key, certEntry{versions: versionsOf(secrets), set: set, quietUntil: plan.Next})
		b.ReportAllocs()
		for b.Loop() {
			e, ok := cache.lookup(key, versionsOf(secrets))
			if !ok || !now.Before(e.quietUntil) {
				b.Fatal("the cache missed")
			}
			_ = tlsCfg.config(key, names, e.set)
		}
	})
	b.Run("uncached", func(b *testing.B) {
		var tlsCfg clientTLS
		b.ReportAllocs()
		for b.Loop() {
			set := parseSecrets(secrets)
			if plan := certs.Decide(set, reqs, policy, now); !plan.Empty() {
				b.Fatalf("plan %+v", plan)
			}
			_ = tlsCfg.config(key, names, set)
		}
	})
}
