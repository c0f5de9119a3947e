package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// careEvents are the Events of ec's database care, oldest first, as
// "Reason: message".
func careEvents(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) []string {
	list := &eventsv1.EventList{}
	if err := k8sClient.List(ctx, list, client.InNamespace(ec.Namespace)); err != nil {
		return nil
	}
	slices.SortFunc(list.Items, func(a, b eventsv1.Event) int { return a.EventTime.Compare(b.EventTime.Time) })
	var out []string
	for _, e := range list.Items {
		switch e.Reason {
		case etcdv1alpha1.ReasonCompacted, etcdv1alpha1.ReasonLeaderMoved, etcdv1alpha1.ReasonDefragmented,
			etcdv1alpha1.ReasonAlarmDisarmed, etcdv1alpha1.ReasonMaintenanceFailed:
			if e.Regarding.Name == ec.Name {
				out = append(out, e.Reason+": "+e.Note)
			}
		}
	}
	return out
}

// churn writes n values of size bytes under prefix, deletes them and
// compacts the history, which leaves the space they took free pages.
func churn(ctx context.Context, cli *clientv3.Client, prefix string, n, size int) {
	value := strings.Repeat("v", size)
	for i := range n {
		_, err := cli.Put(ctx, fmt.Sprintf("%s%04d", prefix, i), value)
		Expect(err).NotTo(HaveOccurred())
	}
	resp, err := cli.Delete(ctx, prefix, clientv3.WithPrefix())
	Expect(err).NotTo(HaveOccurred())
	_, err = cli.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical())
	Expect(err).NotTo(HaveOccurred())
}

func leaderOf(ec *etcdv1alpha1.EtcdCluster) string {
	for _, m := range ec.Status.Members {
		if m.Leader {
			return m.Name
		}
	}
	return ""
}

// dbSizes are each member's database size and the part in use, as the
// member itself reports them, and the leader they name.
func dbSizes(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, cli *clientv3.Client) (size, inUse map[string]int64, leader string) {
	size, inUse = map[string]int64{}, map[string]int64{}
	names := map[uint64]string{}
	var leaderID uint64
	for _, m := range fetch(ctx, ec).Status.Members {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := cli.Status(sctx, startedMembers(ec).ClientURLOf(m.Name))
		cancel()
		if err == nil {
			size[m.Name], inUse[m.Name] = st.DbSize, st.DbSizeInUse
			names[st.Header.MemberId], leaderID = m.Name, st.Leader
		}
	}
	return size, inUse, names[leaderID]
}

// shrinkOrder watches ec's members until each database is below limit and
// returns the members in the order they shrank, with the leader seen just
// before each did.
func shrinkOrder(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, cli *clientv3.Client, limit int64) (order, leaders []string) {
	shrunk := map[string]bool{}
	lastLeader := ""
	Eventually(func(g Gomega) {
		size, _, leader := dbSizes(ctx, ec, cli)
		for name, s := range size {
			if s < limit && !shrunk[name] {
				shrunk[name] = true
				order, leaders = append(order, name), append(leaders, lastLeader)
			}
		}
		lastLeader = leader
		g.Expect(order).To(HaveLen(3))
	}, 2*timeout, 20*time.Millisecond).Should(Succeed(), "every member defragmented")
	return order, leaders
}

var _ = Describe("Database care", func() {
	It("defragments members past the threshold one at a time, followers first, the leader after its leadership moved; none while it is off", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := newCluster(ns, "defrag", 3)
		ec.Spec.Maintenance.Defragmentation = etcdv1alpha1.DefragmentationSpec{Mode: etcdv1alpha1.MaintenanceOff, MinDBSize: new(resource.MustParse("2Mi"))}
		startMembers(ec, 3)
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		markPodsReady(ctx, ns, ec.Name)
		Eventually(func() etcdv1alpha1.Phase { return fetch(ctx, ec).Status.Phase }, timeout, interval).Should(Equal(etcdv1alpha1.PhaseRunning))

		cli := etcdClient(ec)
		churn(ctx, cli, "churn/", 96, 64<<10)
		Eventually(func(g Gomega) {
			// A write commits each member's backend again, which is when
			// etcd counts the pages the compaction freed.
			_, err := cli.Put(ctx, "commit", time.Now().String())
			g.Expect(err).NotTo(HaveOccurred())
			size, inUse, _ := dbSizes(ctx, ec, cli)
			g.Expect(size).To(HaveLen(3))
			for name := range size {
				g.Expect(size[name]).To(BeNumerically(">", 4<<20), name)
				g.Expect(inUse[name]).To(BeNumerically("<", 1<<20), name)
			}
		}, timeout, interval).Should(Succeed(), "every member's database is mostly free pages")
		Consistently(func() []string { return careEvents(ctx, ec) }, 2*time.Second, interval).Should(BeEmpty(), "defragmentation is off")

		leader := leaderOf(fetch(ctx, ec))
		Expect(leader).NotTo(BeEmpty())
		Expect(update(ctx, ec, func(got *etcdv1alpha1.EtcdCluster) {
			got.Spec.Maintenance.Defragmentation.Mode = etcdv1alpha1.MaintenanceAuto
		})).To(Succeed())
		order, leaders := shrinkOrder(ctx, ec, cli, 2<<20)
		GinkgoWriter.Println("defragmented in order:", order, "leaders just before:", leaders, "leader was", leader)
		Expect(order[:2]).NotTo(ContainElement(leader), "followers first")
		Expect(order[2]).To(Equal(leader), "the leader last")
		Expect(leaders[2]).NotTo(Equal(leader), "its leadership moved before it was defragmented")
		Expect(clusterSeries(ec)).To(HaveKeyWithValue("etcd_operator_maintenance_actions_total{action=Defragment,result=success}", 3.0))
		Expect(clusterSeries(ec)).To(HaveKeyWithValue("etcd_operator_maintenance_actions_total{action=MoveLeader,result=success}", 1.0))
		Expect(careEvents(ctx, ec)).To(ContainElement(HavePrefix(etcdv1alpha1.ReasonLeaderMoved + ": moved leadership from " + leader + " to ")))
		Consistently(func() map[string]float64 { return clusterSeries(ec) }, 2*time.Second, interval).
			Should(HaveKeyWithValue("etcd_operator_maintenance_actions_total{action=Defragment,result=success}", 3.0), "a defragmented database is left alone")
	})
})
