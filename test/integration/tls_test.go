package integration

import (
	"context"
	"math/big"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

// The user's own certificates (provider Secrets): read and checked,
// never written.
var _ = Describe("TLS certificates from the user's Secrets", func() {
	refs := &etcdv1alpha1.TLSSecretRefs{Server: "corp-server", Peer: "corp-peer", Client: "corp-client"}
	userCluster := func(ns, name string) *etcdv1alpha1.EtcdCluster {
		ec := newCluster(ns, name, 3)
		ec.Spec.TLS = etcdv1alpha1.TLSSpec{Provider: etcdv1alpha1.TLSSecrets, Secrets: refs}
		return ec
	}
	// userSecrets are what a user's PKI writes for ec, issued at issuedAt
	// by ca, with change applied to kind's request.
	userSecrets := func(ec *etcdv1alpha1.EtcdCluster, ca *pki.CA, issuedAt time.Time, kind certs.Kind, change func(*pki.Request)) map[certs.Kind]*corev1.Secret {
		names := resources.For(ec, "")
		reqs := certs.Requests(names, time.Hour)
		out := map[certs.Kind]*corev1.Secret{}
		for _, k := range certs.Provided {
			req := reqs[k]
			req.CommonName = "corp " + string(k)
			if k == kind {
				change(&req)
			}
			leaf, err := ca.Issue(req, issuedAt)
			Expect(err).NotTo(HaveOccurred())
			out[k] = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ec.Namespace, Name: map[certs.Kind]string{certs.Server: refs.Server, certs.Peer: refs.Peer, certs.Client: refs.Client}[k]},
				Type: corev1.SecretTypeTLS, Data: map[string][]byte{"ca.crt": ca.CertPEM, "tls.crt": leaf.CertPEM, "tls.key": leaf.KeyPEM}}
		}
		return out
	}
	newCA := func() *pki.CA {
		ca, err := pki.NewCA("corp CA", 24*time.Hour, time.Now().Add(-3*time.Hour))
		Expect(err).NotTo(HaveOccurred())
		return ca
	}
	keep := func(*pki.Request) {}

	It("uses them as they are: mounted, reported with their expiry, never written, and a bad replacement is refused", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := userCluster(ns, "byo")
		ca := newCA()
		for _, s := range userSecrets(ec, ca, time.Now(), "", keep) {
			Expect(k8sClient.Create(ctx, s)).To(Succeed())
		}
		versions := map[string]string{}
		for _, name := range []string{refs.Server, refs.Peer, refs.Client} {
			versions[name] = secret(ctx, ns, name).ResourceVersion
		}
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		var st *etcdv1alpha1.TLSStatus
		Eventually(func(g Gomega) {
			st = fetch(ctx, ec).Status.TLS
			g.Expect(st).NotTo(BeNil())
			g.Expect(st.Certificates).To(HaveLen(3))
		}, timeout, interval).Should(Succeed())
		Expect(st.Provider).To(Equal(etcdv1alpha1.TLSSecrets))
		Expect(st.ClientSecretName).To(Equal(refs.Client))
		for _, c := range st.Certificates {
			Expect(c.SecretName).To(BeElementOf(refs.Server, refs.Peer, refs.Client))
			Expect(c.RenewAt).To(BeNil(), "the user renews their own certificates")
			Expect(c.NotAfter.Time).To(BeTemporally("~", time.Now().Add(time.Hour), time.Minute))
		}
		sts := &appsv1.StatefulSet{}
		Eventually(func() error { return get(ctx, ns, "byo", sts) }, timeout, interval).Should(Succeed())
		var mounted []string
		for _, v := range sts.Spec.Template.Spec.Volumes {
			if v.Secret != nil {
				mounted = append(mounted, v.Secret.SecretName)
			}
		}
		Expect(mounted).To(ConsistOf(refs.Server, refs.Peer))
		Expect(apierrors.IsNotFound(get(ctx, ns, "byo-ca", &corev1.Secret{}))).To(BeTrue(), "no CA of the operator's")
		for name, v := range versions {
			Expect(secret(ctx, ns, name).ResourceVersion).To(Equal(v), "%s is not written", name)
		}

		By("refusing a server certificate from another CA, with a reason naming the Secret")
		bad := userSecrets(ec, newCA(), time.Now(), "", keep)[certs.Server]
		s := secret(ctx, ns, refs.Server)
		s.Data = bad.Data
		Expect(k8sClient.Update(ctx, s)).To(Succeed())
		Eventually(func() string { return reasonOf(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded) }, timeout, interval).
			Should(Equal(etcdv1alpha1.ReasonCertificatesFailed))
		Expect(condition(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded).Message).To(ContainSubstring("Secret corp-server (tls.secrets.server)"))
		Eventually(func() []string { return eventReasons(ctx, ec) }, timeout, interval).Should(ContainElement(etcdv1alpha1.ReasonCertificatesFailed))
	})

	DescribeTable("refuses Secrets that would not work, saying which and why, before anything is rendered",
		func(ctx SpecContext, prepare func(map[certs.Kind]*corev1.Secret), ca func() *pki.CA, issuedAt time.Duration, kind certs.Kind, change func(*pki.Request), message string) {
			ns := newNamespace(ctx)
			ec := userCluster(ns, "refused")
			secrets := userSecrets(ec, ca(), time.Now().Add(issuedAt), kind, change)
			prepare(secrets)
			for _, s := range secrets {
				Expect(k8sClient.Create(ctx, s)).To(Succeed())
			}
			Expect(k8sClient.Create(ctx, ec)).To(Succeed())
			Eventually(func() string { return reasonOf(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded) }, timeout, interval).
				Should(Equal(etcdv1alpha1.ReasonCertificatesFailed))
			Expect(condition(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded).Message).To(ContainSubstring(message))
			Expect(get(ctx, ns, "refused", &appsv1.StatefulSet{})).NotTo(Succeed(), "nothing rendered on certificates that would not work")
		},
		Entry("a Secret missing", func(s map[certs.Kind]*corev1.Secret) { delete(s, certs.Peer) }, newCA, time.Duration(0), certs.Kind(""), keep,
			"Secret corp-peer (tls.secrets.peer) not found"),
		Entry("a key missing", func(s map[certs.Kind]*corev1.Secret) { delete(s[certs.Client].Data, "ca.crt") }, newCA, time.Duration(0), certs.Kind(""), keep,
			"Secret corp-client (tls.secrets.client) has no ca.crt"),
		Entry("an expired certificate", func(map[certs.Kind]*corev1.Secret) {}, newCA, -2*time.Hour, certs.Kind(""), keep,
			"expired"),
		Entry("a server certificate without the members' names", func(map[certs.Kind]*corev1.Secret) {}, newCA, time.Duration(0), certs.Server,
			func(r *pki.Request) { r.DNSNames = []string{"localhost"} }, "Secret corp-server (tls.secrets.server)"),
	)
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
