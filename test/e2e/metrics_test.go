//go:build e2e

package e2e

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// alertBound is how long an alert with a 10 s `for` may take to fire or
// resolve: a scrape or an operator poll to see the change, the `for`, and
// the evaluations between (all every 2 s).
const alertBound = 90 * time.Second

// One 3-member TLS cluster, watched by a real Prometheus with the shipped
// alert rules; EtcdMembersDown's `for` is shortened from 10m to 10s.
var _ = Describe("Metrics and alerts, with a real Prometheus", Ordered, Label("metrics"), func() {
	var (
		ec   *etcdv1alpha1.EtcdCluster
		t    target
		prom *promServer
		sel  string
	)

	BeforeAll(func(ctx SpecContext) {
		ns := fw.NewNamespace(ctx, "metrics")
		ec = newEtcdCluster(ns, "watched", 3, withTLS)
		t = createCluster(ctx, ec)
		prom = startPrometheus(ctx, ns, map[string]string{"EtcdMembersDown": "10s"})
		sel = fmt.Sprintf(`namespace=%q, etcd_cluster=%q`, ns, ec.Name)
	})

	It("scrapes the operator with a ServiceAccount token and every member, and the operator's series say what kubectl says", func(ctx SpecContext) {
		Eventually(ctx, func() (float64, error) {
			return prom.value(ctx, `sum(up{job="etcd", `+sel+`})`)
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Equal(3.0), "up for the 3 members")
		Eventually(ctx, func() (float64, error) {
			return prom.value(ctx, `up{job="etcd-operator"}`)
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Equal(1.0), "the operator scraped over HTTPS with the token")

		got, err := fw.FetchCluster(ctx, ec)
		Expect(err).NotTo(HaveOccurred())
		Eventually(ctx, func(g Gomega) {
			phase, err := prom.value(ctx, fmt.Sprintf(`etcd_operator_cluster_phase{phase=%q, %s}`, got.Status.Phase, sel))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(phase).To(Equal(1.0), "phase %s", got.Status.Phase)
			ready, err := prom.value(ctx, `etcd_operator_cluster_ready_members{`+sel+`}`)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(ready).To(BeNumerically("==", got.Status.ReadyMembers))
			leader, err := prom.value(ctx, `max(etcd_server_has_leader{`+sel+`})`)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(leader).To(Equal(1.0), "etcd's own series, labeled with the cluster")
		}).WithTimeout(30 * time.Second).WithPolling(time.Second).Should(Succeed())
		certs, err := prom.query(ctx, `etcd_operator_certificate_expiry_timestamp_seconds{`+sel+`}`)
		Expect(err).NotTo(HaveOccurred())
		Expect(certs).To(HaveLen(len(got.Status.TLS.Certificates)), "one expiry per certificate in status")
	})

	It("refuses a scrape of the operator without a token", func(ctx SpecContext) {
		pods := operatorPods(ctx)
		Expect(pods).NotTo(BeEmpty())
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the operator's self-signed serving certificate
		}}
		resp, err := c.Get("https://" + net.JoinHostPort(pods[0].Status.PodIP, "8443") + "/metrics")
		Expect(err).NotTo(HaveOccurred())
		_ = resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
	})

	It("fires EtcdMembersDown while a member is frozen, and resolves it once it is back", func(ctx SpecContext) {
		state := func() (string, error) { return prom.alertState(ctx, "EtcdMembersDown", ec.Namespace, ec.Name) }
		Expect(state()).To(BeEmpty(), "no alert on a healthy cluster")
		pods, err := fw.LivePods(ctx, t)
		Expect(err).NotTo(HaveOccurred())
		f := freezePods(ctx, []corev1.Pod{pods[len(pods)-1]})
		t0 := time.Now()
		Eventually(ctx, state).WithTimeout(alertBound).WithPolling(time.Second).Should(Equal("firing"))
		GinkgoWriter.Printf("EtcdMembersDown firing %.1fs after the freeze\n", time.Since(t0).Seconds())
		f.thaw()
		Eventually(ctx, state).WithTimeout(alertBound+recoveryBound).WithPolling(time.Second).Should(BeEmpty(), "resolved")
		expectRunning(ctx, ec, recoveryBound)
	})

	It("counts a scale from 3 to 5 members as two learners added", func(ctx SpecContext) {
		added := `sum(etcd_operator_membership_changes_total{operation="AddLearner", result="success", ` + sel + `}) or vector(0)`
		before, err := prom.value(ctx, added)
		Expect(err).NotTo(HaveOccurred())
		Expect(updateCluster(ctx, ec, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = 5 })).To(Succeed())
		expectRunning(ctx, ec, scaleBound)
		Eventually(ctx, func() (float64, error) { return prom.value(ctx, added) }).
			WithTimeout(30*time.Second).WithPolling(time.Second).Should(Equal(before+2), "AddLearner successes")
		Eventually(ctx, func() (float64, error) {
			return prom.value(ctx, `sum(up{job="etcd", `+sel+`})`)
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Equal(5.0), "the new members scraped")
	})
})
