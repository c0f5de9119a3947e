//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

const upgradeSeconds = "upgrade.3m.3.6->3.7"

func init() {
	descriptions[upgradeSeconds] = "spec.version 3.6.16 -> 3.7.3 on 3 members (TLS, a writer running) -> every member on 3.7.3 and the cluster version 3.7"
}

// restartOrder watches t's pods, whose UIDs were before, until each has
// been replaced, and returns them in the order they went, with the leader
// seen just before each did.
func restartOrder(ctx context.Context, t target, before map[string]types.UID) (order, leaders []string) {
	gone := map[string]bool{}
	last := ""
	Eventually(ctx, func(g Gomega) {
		st, err := fw.Observe(ctx, t)
		g.Expect(err).NotTo(HaveOccurred())
		live := map[string]types.UID{}
		for _, m := range st.Members {
			live[m.Pod] = m.PodUID
		}
		for pod, uid := range before {
			if live[pod] != uid && !gone[pod] {
				gone[pod] = true
				order, leaders = append(order, pod), append(leaders, last)
			}
		}
		if l := leaderPod(st); l != "" {
			last = l
		}
		g.Expect(order).To(HaveLen(len(before)))
	}).WithTimeout(5*time.Minute).WithPolling(200*time.Millisecond).Should(Succeed(), "every member restarted")
	return order, leaders
}

var _ = Describe("Upgrading etcd", Label("upgrade"), func() {
	It("moves 3.6 -> 3.7 one member at a time, followers first, the leader last after its leadership moved, losing no write", func(ctx SpecContext) {
		ec, t, w := runningWithWriter(ctx, "upgrade", "up", 3, withTLS, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = etcd36Version })
		st := fw.ExpectHealthy(ctx, t)
		leader := leaderPod(st)
		before := podUIDs(st, "up-0", "up-1", "up-2")
		start := time.Now()
		Expect(updateCluster(ctx, ec, func(got *etcdv1alpha1.EtcdCluster) { got.Spec.Version = "3.7.3" })).To(Succeed())

		order, leaders := restartOrder(ctx, t, before)
		GinkgoWriter.Println("restarted in order:", order, "leaders just before:", leaders, "leader was", leader)
		Expect(order[:2]).NotTo(ContainElement(leader), "followers first")
		Expect(order[2]).To(Equal(leader), "the leader last")
		Expect(leaders[2]).NotTo(Equal(leader), "its leadership moved before it restarted")

		Eventually(ctx, func(g Gomega) {
			got, err := fw.FetchCluster(ctx, ec)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.Status.CurrentVersion).To(Equal("3.7.3"))
			g.Expect(got.Status.Phase).To(Equal(etcdv1alpha1.PhaseRunning))
			g.Expect(conditionReason(got, etcdv1alpha1.ConditionProgressing)).To(Equal(etcdv1alpha1.ReasonReconciled))
		}).WithTimeout(2 * time.Minute).WithPolling(time.Second).Should(Succeed())
		for _, m := range fw.ExpectHealthy(ctx, t).Members {
			Expect(m.Status.Version).To(Equal("3.7.3"), m.Pod)
		}
		secs := time.Since(start).Seconds()
		r := finishWriter(ctx, t, w)
		recordOperator(upgradeSeconds, &secs, 10*time.Minute)
		AddReportEntry("upgrade", fmt.Sprintf("3 members in %.1f s, longest write gap %.3f s, %d failed writes", secs, r.GapMax.Seconds(), r.Failed))
	}, SpecTimeout(15*time.Minute))
})
