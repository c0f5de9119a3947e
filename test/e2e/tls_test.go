//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/certs"
	"github.com/etcd-operator/etcd-operator/internal/pki"
	"github.com/etcd-operator/etcd-operator/internal/resources"
	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

// One TLS cluster with lifetimes short enough to see a renewal within the
// spec: issued at 0, renewed every minute, each certificate expiring 4
// minutes after its issue; the kubelet has 3 minutes to bring a renewed
// Secret to the members before the old one expires (it took 12 s here).
const (
	tlsLifetime    = 4 * time.Minute
	tlsRenewBefore = 3 * time.Minute
	renewalBound   = 3 * time.Minute
)

var _ = Describe("TLS, on by default", Ordered, Label("tls"), func() {
	var (
		ec    *etcdv1alpha1.EtcdCluster
		t     target
		names resources.Cluster
	)

	BeforeAll(func(ctx SpecContext) {
		// Creation is recorded with TLS (create.3m.pv.*.tls), against the
		// same creation without TLS by the create specs.
		ec = newEtcdCluster(fw.NewNamespace(ctx, "tls"), "tls", 3, withTLS, func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.TLS.CertificateLifetime = &metav1.Duration{Duration: tlsLifetime}
			ec.Spec.TLS.RenewBefore = &metav1.Duration{Duration: tlsRenewBefore}
		})
		t = createCluster(ctx, ec)
		Expect(t.TLS).To(BeTrue(), "an EtcdCluster without spec.tls.provider gets TLS")
		names = t.Resources()
		expectRunning(ctx, ec, statusBound)
	})

	It("serves only clients with a certificate of the cluster's CA", func(ctx SpecContext) {
		got, err := fw.FetchCluster(ctx, ec)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Spec.TLS.Provider).To(Equal(etcdv1alpha1.TLSOperator), "the default provider")
		Expect(got.Status.ClientEndpoint).To(HavePrefix("https://"))
		Expect(got.Status.TLS).NotTo(BeNil())
		Expect(got.Status.TLS.ClientSecretName).To(Equal(names.ClientSecret()))
		Expect(got.Status.TLS.Certificates).To(HaveLen(5), "ca, server, peer, operator-client, client")
		for _, c := range got.Status.TLS.Certificates {
			Expect(c.NotAfter.Time).To(BeTemporally(">", time.Now()), "certificate %s", c.Name)
		}

		st := fw.ExpectHealthy(ctx, t)
		d := dialerOf(ctx, t)
		kvs, _ := d.PutKeys(ctx, st.Endpoints(), "tls", 3)
		d.ExpectData(ctx, st.Members[0].Endpoint(), kvs)

		By("refusing a client without a certificate, one of another CA, and plain HTTP")
		noCert := d
		noCert.TLS = d.TLS.Clone()
		noCert.TLS.Certificates = nil
		otherCA := d
		otherCA.TLS = d.TLS.Clone()
		otherCA.TLS.Certificates = []tls.Certificate{foreignClientCert()}
		endpoint := st.Members[0].Endpoint()
		for name, bad := range map[string]framework.Dialer{"no client certificate": noCert, "a certificate of another CA": otherCA} {
			Expect(putOnce(ctx, bad, endpoint)).NotTo(Succeed(), "a client with %s", name)
		}
		Expect(putOnce(ctx, framework.HTTP(), "http://"+net.JoinHostPort(st.Members[0].IP, "2379"))).NotTo(Succeed(), "plain HTTP")
	})

	It("scales 3->5->3 and brings a deleted pod back over TLS, losing no acknowledged write", func(ctx SpecContext) {
		w := fw.StartWriter(ctx, t, "tls-scale")
		for _, size := range []int32{5, 3} {
			Expect(updateCluster(ctx, ec, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = size })).To(Succeed())
			t.Size = int(size)
			Eventually(ctx, func() error {
				st, err := fw.Observe(ctx, t)
				if err != nil {
					return err
				}
				return st.Healthy(int(size))
			}).WithTimeout(3*time.Minute).WithPolling(time.Second).Should(Succeed(), "%d healthy members", size)
			expectRunning(ctx, ec, statusBound)
		}
		loss := loseFollower(ctx, t, 0, recoveryBound)
		Expect(loss.Err).NotTo(HaveOccurred(), "follower %s deleted: cluster not healthy again", loss.Victim.Pod)
		dialerOf(ctx, t).ExpectData(ctx, loss.After.Member(loss.Victim.Pod).Endpoint(), loss.Data)
		finishWriter(ctx, t, w)
	}, SpecTimeout(specTimeout))

	It("replaces a deleted EmptyDir member by a new one over TLS", Label("emptydir"), func(ctx SpecContext) {
		eph := newEtcdCluster(fw.NewNamespace(ctx, "tls-ephemeral"), "tls-ephemeral", 3, withTLS, emptyDir)
		et := createCluster(ctx, eph)
		expectRunning(ctx, eph, statusBound)
		loss := loseFollower(ctx, et, 0, emptyDirBound)
		Expect(loss.Err).NotTo(HaveOccurred(), "EmptyDir follower %s deleted: no 3 healthy voting members within %s", loss.Victim.Pod, emptyDirBound)
		Expect(loss.After.Member(loss.Victim.Pod).ID()).NotTo(Equal(loss.Victim.ID()), "a new member ID for %s", loss.Victim.Pod)
		for _, m := range loss.Before.Members {
			if m.Pod != loss.Victim.Pod {
				Expect(loss.After.Member(m.Pod).ID()).To(Equal(m.ID()), "%s keeps its member ID", m.Pod)
			}
		}
		dialerOf(ctx, et).ExpectData(ctx, loss.After.Member(loss.Victim.Pod).Endpoint(), loss.Data)
		expectRunning(ctx, eph, statusBound)
	}, SpecTimeout(specTimeout))

	It("renews the leaf certificates with no member restart and no failed write", func(ctx SpecContext) {
		before := restarts(ctx, t)
		oldSerial := secretSerial(ctx, names.Namespace, names.ServerSecret())
		w := fw.StartWriter(ctx, t, "tls-renew")
		t0 := time.Now()

		By("waiting for the operator to renew the server certificate")
		Eventually(ctx, func() *big.Int { return secretSerial(ctx, names.Namespace, names.ServerSecret()) }).
			WithTimeout(renewalBound).WithPolling(time.Second).ShouldNot(Equal(oldSerial), "server certificate renewed")
		newSerial := secretSerial(ctx, names.Namespace, names.ServerSecret())
		renewed := time.Since(t0)

		By("waiting until every member serves the renewed certificate")
		d := dialerOf(ctx, t)
		Eventually(ctx, func(g Gomega) {
			for _, p := range livePods(ctx, t) {
				g.Expect(servedSerial(d, p.Status.PodIP)).To(Equal(newSerial), "pod %s", p.Name)
			}
		}).WithTimeout(renewalBound).WithPolling(2 * time.Second).Should(Succeed())
		served := time.Since(t0)
		r := finishWriter(ctx, t, w)
		report := fmt.Sprintf("leaf renewal: renewed after %.1fs, served by every member after %.1fs; writer %d acknowledged, %d failed attempts, longest write gap %.3fs (goal <= 0.2s)",
			renewed.Seconds(), served.Seconds(), r.Acknowledged, r.Failed, r.GapMax.Seconds())
		AddReportEntry(report)
		_, _ = fmt.Fprintln(GinkgoWriter, report)
		Expect(restarts(ctx, t)).To(Equal(before), "pod UIDs and restart counts")
		Expect(r.Failed).To(BeZero(), "failed writes while the certificates were renewed")
	}, SpecTimeout(2*renewalBound+time.Minute))
})

var _ = Describe("TLS with the user's own certificates", Label("tls"), func() {
	It("runs a cluster on Secrets a user's PKI wrote, which applications use to connect", func(ctx SpecContext) {
		refs := &etcdv1alpha1.TLSSecretRefs{Server: "corp-server", Peer: "corp-peer", Client: "corp-app"}
		ec := newEtcdCluster(fw.NewNamespace(ctx, "tls-byo"), "byo", 3, func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.TLS = etcdv1alpha1.TLSSpec{Provider: etcdv1alpha1.TLSSecrets, Secrets: refs}
		})
		// A PKI of its own: one CA for clients and servers, another for
		// peers, subjects of its own choosing.
		clients, err := pki.NewCA("corp client CA", 24*time.Hour, time.Now())
		Expect(err).NotTo(HaveOccurred())
		peers, err := pki.NewCA("corp peer CA", 24*time.Hour, time.Now())
		Expect(err).NotTo(HaveOccurred())
		reqs := certs.Requests(resources.For(ec, ""), 24*time.Hour)
		for kind, ref := range map[certs.Kind]struct {
			name string
			ca   *pki.CA
		}{certs.Server: {refs.Server, clients}, certs.Peer: {refs.Peer, peers}, certs.Client: {refs.Client, clients}} {
			req := reqs[kind]
			req.CommonName = "corp " + string(kind)
			leaf, err := ref.ca.Issue(req, time.Now())
			Expect(err).NotTo(HaveOccurred())
			Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ec.Namespace, Name: ref.name}, Type: corev1.SecretTypeTLS,
				Data: map[string][]byte{"ca.crt": ref.ca.CertPEM, "tls.crt": leaf.CertPEM, "tls.key": leaf.KeyPEM}})).To(Succeed())
		}
		Expect(k8s.Create(ctx, ec)).To(Succeed())
		_, _, err = awaitCreated(ctx, ec, time.Now(), createBound)
		Expect(err).NotTo(HaveOccurred(), "a cluster on the user's certificates not Running and healthy")
		t := targetOf(ec)
		Expect(t.ClientSecret).To(Equal(refs.Client))

		st := fw.ExpectHealthy(ctx, t)
		d := dialerOf(ctx, t)
		kvs, _ := d.PutKeys(ctx, st.Endpoints(), "byo", 3)
		d.ExpectData(ctx, st.Members[2].Endpoint(), kvs)
		got, err := fw.FetchCluster(ctx, ec)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Status.TLS.Provider).To(Equal(etcdv1alpha1.TLSSecrets))
		Expect(got.Status.TLS.ClientSecretName).To(Equal(refs.Client))
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ec.Namespace, Name: "byo-ca"}, &corev1.Secret{})).NotTo(Succeed(), "no CA of the operator's")
		Expect(putOnce(ctx, framework.Dialer{Scheme: "https", TLS: &tls.Config{InsecureSkipVerify: true, //nolint:gosec // the refusal is the point
			Certificates: []tls.Certificate{foreignClientCert()}}}, st.Members[0].Endpoint())).NotTo(Succeed(), "a client of another CA")
	}, SpecTimeout(specTimeout))
})

// putOnce writes one key through d at endpoint.
func putOnce(ctx context.Context, d framework.Dialer, endpoint string) error {
	c, err := d.New(endpoint)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = c.Put(cctx, "/e2e-refused", "x")
	return err
}

// foreignClientCert is a client certificate of a CA no member trusts.
func foreignClientCert() tls.Certificate {
	ca, err := pki.NewCA("another CA", time.Hour, time.Now())
	Expect(err).NotTo(HaveOccurred())
	leaf, err := ca.Issue(pki.Request{CommonName: "intruder", Usage: pki.Client, Lifetime: time.Hour}, time.Now())
	Expect(err).NotTo(HaveOccurred())
	cert, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	Expect(err).NotTo(HaveOccurred())
	return cert
}

// secretSerial is the serial of the certificate in Secret name.
func secretSerial(ctx context.Context, ns, name string) *big.Int {
	s := &corev1.Secret{}
	Expect(fw.K8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, s)).To(Succeed())
	leaf, err := pki.ParseLeaf(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey])
	Expect(err).NotTo(HaveOccurred())
	return leaf.Cert.SerialNumber
}

// servedSerial is the serial of the certificate the member at ip presents
// in a new handshake: etcd reads its certificate files on each one.
func servedSerial(d framework.Dialer, ip string) (*big.Int, error) {
	cfg := d.TLS.Clone()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", net.JoinHostPort(ip, "2379"), cfg)
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close() }()
	var leaf *x509.Certificate
	if certs := conn.ConnectionState().PeerCertificates; len(certs) > 0 {
		leaf = certs[0]
	}
	if leaf == nil {
		return nil, fmt.Errorf("member at %s presented no certificate", ip)
	}
	return leaf.SerialNumber, nil
}

// livePods are t's pods not being deleted.
func livePods(ctx context.Context, t target) []corev1.Pod {
	pods, err := fw.LivePods(ctx, t)
	Expect(err).NotTo(HaveOccurred())
	return pods
}

// restarts maps each of t's pods to its UID and etcd container's restart count.
func restarts(ctx context.Context, t target) map[string]string {
	out := map[string]string{}
	for _, p := range livePods(ctx, t) {
		n := int32(-1)
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name == resources.EtcdContainer {
				n = cs.RestartCount
			}
		}
		out[p.Name] = fmt.Sprintf("%s/%d", p.UID, n)
	}
	return out
}
