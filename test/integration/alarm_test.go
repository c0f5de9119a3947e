package integration

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/test/etcdtest"
)

var _ = Describe("etcd alarms", func() {
	It("reports NOSPACE in status, the Degraded condition and an Event, with quorum still Available", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := newCluster(ns, "nospace", 1)
		// A real member whose database quota a few writes fill.
		c := etcdtest.NewCluster(ns + "-nospace")
		c.QuotaBackendBytes = 1 << 20
		Expect(c.Start(func(pod string) string { return members.peerURL(ec, pod) }, "nospace-0")).To(Succeed())
		members.set(client.ObjectKeyFromObject(ec), c)
		DeferCleanup(c.Close)
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		markPodsReady(ctx, ns, ec.Name)
		Eventually(func() etcdv1alpha1.Phase { return fetch(ctx, ec).Status.Phase }, timeout, interval).Should(Equal(etcdv1alpha1.PhaseRunning))

		cli := etcdClient(ec)
		value := strings.Repeat("x", 128<<10)
		Eventually(func() error {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_, err := cli.Put(pctx, "fill-"+time.Now().Format(time.RFC3339Nano), value)
			return err
		}, timeout, 10*time.Millisecond).Should(MatchError(ContainSubstring("database space exceeded")))

		Eventually(func(g Gomega) {
			got := fetch(ctx, ec)
			g.Expect(got.Status.Alarms).To(Equal([]string{"NOSPACE"}))
			g.Expect(reasonOf(got, etcdv1alpha1.ConditionDegraded)).To(Equal(etcdv1alpha1.ReasonAlarmRaised))
			g.Expect(condition(got, etcdv1alpha1.ConditionDegraded).Message).To(ContainSubstring("etcdctl alarm disarm"))
			g.Expect(reasonOf(got, etcdv1alpha1.ConditionAvailable)).To(Equal(etcdv1alpha1.ReasonQuorumHealthy))
		}, timeout, interval).Should(Succeed())
		Eventually(func() []string { return eventReasons(ctx, ec) }, timeout, interval).Should(ContainElement(etcdv1alpha1.ReasonAlarmRaised))
	})
})
