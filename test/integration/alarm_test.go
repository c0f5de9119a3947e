package integration

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/test/etcdtest"
)

// runningWithQuota creates a Running 1-member EtcdCluster called name whose
// real member has a 1 MiB database quota, which a few writes fill.
func runningWithQuota(ctx context.Context, name string, change ...func(*etcdv1alpha1.EtcdCluster)) *etcdv1alpha1.EtcdCluster {
	ns := newNamespace(ctx)
	ec := newCluster(ns, name, 1)
	ec.Spec.Tuning.QuotaBackendBytes = new(resource.MustParse("1Mi"))
	for _, f := range change {
		f(ec)
	}
	c := etcdtest.NewCluster(ns + "-" + name)
	c.QuotaBackendBytes = 1 << 20
	Expect(c.Start(func(pod string) string { return members.peerURL(ec, pod) }, name+"-0")).To(Succeed())
	members.set(client.ObjectKeyFromObject(ec), c)
	DeferCleanup(c.Close)
	Expect(k8sClient.Create(ctx, ec)).To(Succeed())
	markPodsReady(ctx, ns, ec.Name)
	Eventually(func() etcdv1alpha1.Phase { return fetch(ctx, ec).Status.Phase }, timeout, interval).Should(Equal(etcdv1alpha1.PhaseRunning))
	return ec
}

var _ = Describe("etcd alarms", func() {
	It("reports NOSPACE in status, the Degraded condition and an Event, with quorum still Available, and recovers once keys are deleted", func(ctx SpecContext) {
		ec := runningWithQuota(ctx, "nospace")

		cli := etcdClient(ec)
		value := strings.Repeat("x", 128<<10)
		put := func(key string) error {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_, err := cli.Put(pctx, key, value)
			return err
		}
		Eventually(func() error { return put("fill-" + time.Now().Format(time.RFC3339Nano)) }, timeout, 10*time.Millisecond).
			Should(MatchError(ContainSubstring("database space exceeded")))

		By("live data near the quota: the alarm stays, and the condition says what to do")
		// While live data leaves room, the operator compacts, defragments
		// and disarms, and the writes go on filling the quota.
		Eventually(func(g Gomega) {
			_ = put("fill-" + time.Now().Format(time.RFC3339Nano))
			got := fetch(ctx, ec)
			g.Expect(got.Status.Alarms).To(Equal([]string{"NOSPACE"}))
			g.Expect(reasonOf(got, etcdv1alpha1.ConditionDegraded)).To(Equal(etcdv1alpha1.ReasonAlarmRaised))
			g.Expect(condition(got, etcdv1alpha1.ConditionDegraded).Message).To(ContainSubstring("delete keys or raise spec.tuning.quotaBackendBytes"))
			g.Expect(reasonOf(got, etcdv1alpha1.ConditionAvailable)).To(Equal(etcdv1alpha1.ReasonQuorumHealthy))
		}, 2*timeout, 50*time.Millisecond).Should(Succeed())
		Eventually(func() []string { return eventReasons(ctx, ec) }, timeout, interval).Should(ContainElement(etcdv1alpha1.ReasonAlarmRaised))
		Consistently(func() []string { return fetch(ctx, ec).Status.Alarms }, 2*time.Second, interval).Should(Equal([]string{"NOSPACE"}))

		By("keys deleted: the operator compacts, defragments, disarms, and writes work again")
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := cli.Delete(dctx, "fill-", clientv3.WithPrefix())
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			got := fetch(ctx, ec)
			g.Expect(got.Status.Alarms).To(BeEmpty())
			g.Expect(reasonOf(got, etcdv1alpha1.ConditionDegraded)).To(Equal(etcdv1alpha1.ReasonMembersHealthy))
		}, 2*timeout, interval).Should(Succeed())
		Expect(put("after-recovery")).To(Succeed())
		reasons := eventReasons(ctx, ec)
		for _, r := range []string{etcdv1alpha1.ReasonCompacted, etcdv1alpha1.ReasonDefragmented, etcdv1alpha1.ReasonAlarmDisarmed} {
			Expect(reasons).To(ContainElement(r))
		}
		GinkgoWriter.Println(strings.Join(careEvents(ctx, ec), "\n"))
	})

	It("leaves the alarm to a person when recovery is off", func(ctx SpecContext) {
		ec := runningWithQuota(ctx, "manual", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Maintenance.NoSpaceRecovery = etcdv1alpha1.MaintenanceOff })
		cli := etcdClient(ec)
		Eventually(func() error {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_, err := cli.Put(pctx, "fill-"+time.Now().Format(time.RFC3339Nano), strings.Repeat("x", 128<<10))
			return err
		}, timeout, 10*time.Millisecond).Should(MatchError(ContainSubstring("database space exceeded")))
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := cli.Delete(dctx, "fill-", clientv3.WithPrefix())
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() string { return condition(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded).Message }, timeout, interval).
			Should(ContainSubstring("etcdctl alarm disarm"))
		Consistently(func() []string { return fetch(ctx, ec).Status.Alarms }, 3*time.Second, interval).Should(Equal([]string{"NOSPACE"}))
		Expect(careEvents(ctx, ec)).To(BeEmpty())
	})
})
