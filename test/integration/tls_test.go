package integration

import (
	"context"
	"math/big"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/certs"
	"github.com/etcd-operator/etcd-operator/internal/pki"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// The certificates the operator issues, on a real API server. No member
// runs: the embedded members of this suite serve plain HTTP, the end-to-end
// suite runs TLS members.
var _ = Describe("TLS certificates", func() {
	tlsCluster := func(ns, name string) *etcdv1alpha1.EtcdCluster {
		ec := newCluster(ns, name, 3)
		ec.Spec.TLS = etcdv1alpha1.TLSSpec{} // the default: the operator's CA
		return ec
	}

	It("issues a CA and every certificate into owned, labeled Secrets, reports their expiry, and reissues a deleted one", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := tlsCluster(ns, "secure")
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		names := resources.For(ec, "")

		var st *etcdv1alpha1.TLSStatus
		Eventually(func(g Gomega) {
			st = fetch(ctx, ec).Status.TLS
			g.Expect(st).NotTo(BeNil())
			g.Expect(st.Certificates).To(HaveLen(5))
		}, timeout, interval).Should(Succeed())
		Expect(st.Provider).To(Equal(etcdv1alpha1.TLSOperator))
		Expect(st.ClientSecretName).To(Equal(names.ClientSecret()))

		ca := secret(ctx, ns, names.CASecret())
		root, err := pki.ParseCA(ca.Data["tls.crt"], ca.Data["tls.key"])
		Expect(err).NotTo(HaveOccurred())
		policy := certs.PolicyOf(ec.Spec.TLS)
		reqs := certs.Requests(names, policy.Lifetime)
		for kind, name := range map[certs.Kind]string{certs.Server: names.ServerSecret(), certs.Peer: names.PeerSecret(),
			certs.OperatorClient: names.OperatorClientSecret(), certs.Client: names.ClientSecret()} {
			s := secret(ctx, ns, name)
			Expect(s.Type).To(Equal(corev1.SecretTypeTLS))
			Expect(s.Labels).To(Equal(names.ManagedLabels()), name)
			Expect(metav1.IsControlledBy(s, fetch(ctx, ec))).To(BeTrue(), "%s is owned by the EtcdCluster", name)
			Expect(s.Data["ca.crt"]).To(Equal(root.CertPEM), name)
			leaf, err := pki.ParseLeaf(s.Data["tls.crt"], s.Data["tls.key"])
			Expect(err).NotTo(HaveOccurred(), name)
			Expect(pki.Check(leaf.Cert, root.CertPEM, reqs[kind], time.Now())).To(Succeed(), name)
			Expect(leaf.Cert.NotAfter).To(BeTemporally("~", time.Now().Add(certs.DefaultLifetime), time.Minute), name)
		}
		for _, c := range st.Certificates {
			Expect(c.NotAfter.Time).To(BeTemporally(">", time.Now().Add(80*24*time.Hour)), c.Name)
		}

		By("reissuing the server certificate when its Secret is deleted, under the same CA")
		old := serial(ctx, ns, names.ServerSecret())
		Expect(k8sClient.Delete(ctx, secret(ctx, ns, names.ServerSecret()))).To(Succeed())
		Eventually(func() *big.Int { return serial(ctx, ns, names.ServerSecret()) }, timeout, interval).
			ShouldNot(SatisfyAny(BeNil(), Equal(old)))
		Expect(secret(ctx, ns, names.CASecret()).Data["tls.crt"]).To(Equal(root.CertPEM), "the CA is kept")
	})

	It("never takes over a Secret of the name it would use, and says so", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := tlsCluster(ns, "taken-ca")
		foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "taken-ca-ca"},
			Data: map[string][]byte{"tls.crt": []byte("someone else's")}}
		Expect(k8sClient.Create(ctx, foreign)).To(Succeed())
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		Eventually(func() string {
			got := fetch(ctx, ec)
			return string(got.Status.Phase) + "/" + reasonOf(got, etcdv1alpha1.ConditionDegraded)
		}, timeout, interval).Should(Equal("Failed/ForeignObject"))
		Expect(condition(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded).Message).To(ContainSubstring("Secret taken-ca-ca"))
		Expect(secret(ctx, ns, "taken-ca-ca").Data).To(Equal(foreign.Data), "the Secret is untouched")
		Expect(get(ctx, ns, "taken-ca", &corev1.ConfigMap{})).NotTo(Succeed(), "nothing rendered while the certificates cannot be issued")
	})

	It("reports CertificatesFailed for its CA Secret holding no usable CA, and replaces nothing", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := tlsCluster(ns, "bad-ca")
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		names := resources.For(ec, "")
		Eventually(func() *etcdv1alpha1.TLSStatus { return fetch(ctx, ec).Status.TLS }, timeout, interval).ShouldNot(BeNil())
		Eventually(func() error { return get(ctx, ns, names.CASecret(), &corev1.Secret{}) }, timeout, interval).Should(Succeed())

		s := secret(ctx, ns, names.CASecret())
		s.Data = map[string][]byte{"tls.crt": []byte("not a certificate"), "tls.key": []byte("not a key")}
		Expect(k8sClient.Update(ctx, s)).To(Succeed())
		Eventually(func() string { return reasonOf(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded) }, timeout, interval).
			Should(Equal(etcdv1alpha1.ReasonCertificatesFailed))
		Expect(condition(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded).Message).To(ContainSubstring("holds no usable CA"))
		Consistently(func() []byte { return secret(ctx, ns, names.CASecret()).Data["tls.crt"] }, 2*time.Second, interval).
			Should(Equal([]byte("not a certificate")), "the operator never replaces a CA")
	})
})

func secret(ctx context.Context, ns, name string) *corev1.Secret {
	s := &corev1.Secret{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, s)).To(Succeed())
	return s
}

// serial is the serial of the certificate in Secret name, nil while there is none.
func serial(ctx context.Context, ns, name string) *big.Int {
	s := &corev1.Secret{}
	if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, s); err != nil {
		return nil
	}
	leaf, err := pki.ParseLeaf(s.Data["tls.crt"], s.Data["tls.key"])
	if err != nil {
		return nil
	}
	return leaf.Cert.SerialNumber
}
