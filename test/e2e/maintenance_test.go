//go:build e2e

package e2e

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
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// Metric keys of database care.
const (
	defragWriteGap   = "maintenance.defrag.writeGapMax"
	noSpaceRecovered = "maintenance.nospace.deleted->writable"
)

func init() {
	descriptions[defragWriteGap] = "longest time without an acknowledged write while the operator defragmented 3 members in turn after 200 MiB written and deleted, by the default thresholds (TLS)"
	descriptions[noSpaceRecovered] = "keys deleted under a NOSPACE alarm -> alarm disarmed by the operator and a write acknowledged"
}

// careEventsOf are the Events of ec's database care, oldest first.
func careEventsOf(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) []string {
	list := &eventsv1.EventList{}
	if err := k8s.List(ctx, list, client.InNamespace(ec.Namespace)); err != nil {
		return nil
	}
	slices.SortFunc(list.Items, func(a, b eventsv1.Event) int { return a.EventTime.Compare(b.EventTime.Time) })
	var out []string
	for _, e := range list.Items {
		switch e.Reason {
		case etcdv1alpha1.ReasonCompacted, etcdv1alpha1.ReasonLeaderMoved, etcdv1alpha1.ReasonDefragmented,
			etcdv1alpha1.ReasonAlarmDisarmed, etcdv1alpha1.ReasonMaintenanceFailed:
			if e.Regarding.Kind == "EtcdCluster" && e.Regarding.Name == ec.Name {
				out = append(out, e.Reason+": "+e.Note)
			}
		}
	}
	return out
}

func countPrefix(list []string, prefix string) int {
	n := 0
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// leaderPod is the pod whose member leads.
func leaderPod(st clusterState) string {
	for _, m := range st.Members {
		if m.Status != nil && m.Status.Leader == m.ID() {
			return m.Pod
		}
	}
	return ""
}

// shrinkOrderOf watches t's members until each database is below limit and
// returns the pods in the order their databases shrank, with the leader
// seen just before each did.
func shrinkOrderOf(ctx context.Context, t target, limit int64) (order, leaders []string) {
	shrunk := map[string]bool{}
	last := ""
	Eventually(ctx, func(g Gomega) {
		st, err := fw.Observe(ctx, t)
		g.Expect(err).NotTo(HaveOccurred())
		for _, m := range st.Members {
			if m.Status != nil && m.Status.DbSize < limit && !shrunk[m.Pod] {
				shrunk[m.Pod] = true
				order, leaders = append(order, m.Pod), append(leaders, last)
			}
		}
		if l := leaderPod(st); l != "" {
			last = l
		}
		g.Expect(order).To(HaveLen(3))
	}).WithTimeout(3*time.Minute).WithPolling(200*time.Millisecond).Should(Succeed(), "every member defragmented")
	return order, leaders
}

// putValue writes one value of size bytes at key.
func putValue(ctx context.Context, cli *clientv3.Client, key string, size int) error {
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := cli.Put(pctx, key, strings.Repeat("v", size))
	return err
}

var _ = Describe("Database care", Ordered, Label("maintenance"), func() {
	var (
		ec  *etcdv1alpha1.EtcdCluster
		t   target
		cli *clientv3.Client
	)

	BeforeAll(func(ctx SpecContext) {
		ec = newEtcdCluster(fw.NewNamespace(ctx, "care"), "care", 3, withTLS, func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Tuning.QuotaBackendBytes = new(resource.MustParse("32Mi"))
			ec.Spec.Maintenance.Defragmentation.MinDBSize = new(resource.MustParse("8Mi"))
		})
		t = createCluster(ctx, ec)
		expectRunning(ctx, ec, statusBound)
		var err error
		cli, err = dialerOf(ctx, t).New(fw.ClientServiceURL(ctx, t))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(cli.Close)
	})

	It("defragments each member in turn by the default thresholds, the leader last, after 200 MiB written and deleted while an application writes", func(ctx SpecContext) {
		// Its own cluster, with the defaults (100Mi, 45%, a 2Gi quota): the
		// shared one's quota is for NOSPACE.
		ec := newEtcdCluster(fw.NewNamespace(ctx, "defrag"), "defrag", 3, withTLS)
		t := createCluster(ctx, ec)
		expectRunning(ctx, ec, statusBound)
		cli, err := dialerOf(ctx, t).New(fw.ClientServiceURL(ctx, t))
		Expect(err).NotTo(HaveOccurred())
		defer func() { _ = cli.Close() }()
		w := fw.StartWriter(ctx, t, "defrag")
		// 200 MiB written, deleted and compacted, as auto-compaction would:
		// free pages the members keep until they are defragmented.
		for i := range 200 {
			Expect(putValue(ctx, cli, fmt.Sprintf("churn/%04d", i), 1<<20)).To(Succeed())
		}
		del, err := cli.Delete(ctx, "churn/", clientv3.WithPrefix())
		Expect(err).NotTo(HaveOccurred())
		_, err = cli.Compact(ctx, del.Header.Revision, clientv3.WithCompactPhysical())
		Expect(err).NotTo(HaveOccurred())
		start := time.Now()
		grown := fw.ExpectHealthy(ctx, t)
		largest := int64(0)
		for _, m := range grown.Members {
			largest = max(largest, m.Status.DbSize)
		}
		// The operator may already be on its first member.
		Expect(largest).To(BeNumerically(">=", 200<<20), "the largest database before the defragmentations")

		leader := leaderPod(grown)
		order, leaders := shrinkOrderOf(ctx, t, 50<<20)
		end := time.Now()
		events := careEventsOf(ctx, ec)
		GinkgoWriter.Println(strings.Join(events, "\n"))
		GinkgoWriter.Println("defragmented in order:", order, "leaders just before:", leaders, "leader was", leader)
		Expect(order[:2]).NotTo(ContainElement(leader), "followers first")
		Expect(order[2]).To(Equal(leader), "the leader last")
		Expect(leaders[2]).NotTo(Equal(leader), "its leadership moved before it was defragmented")
		Expect(countPrefix(events, etcdv1alpha1.ReasonMaintenanceFailed)).To(Equal(0))

		failures, gap := w.FailuresIn(start, end), w.GapIn(start, end)
		finishWriter(ctx, t, w)
		for _, m := range fw.ExpectHealthy(ctx, t).Members {
			Expect(m.Status.DbSize).To(BeNumerically("<", 50<<20), "%s's database after its defragmentation", m.Pod)
		}
		secs := gap.Seconds()
		recordOperator(defragWriteGap, &secs, 3*time.Minute)
		_, _ = fmt.Fprintf(GinkgoWriter, "defragmentation of 3 members: %.1f s, longest write gap %.3f s, %d failed writes: %v\n",
			end.Sub(start).Seconds(), secs, len(failures), failures)
		AddReportEntry("defragmentation", fmt.Sprintf("longest write gap %.3f s, %d failed writes (goal 0)", secs, len(failures)))
	})

	It("recovers from NOSPACE once keys are deleted: compacts, defragments and disarms; writes work again", func(ctx SpecContext) {
		// The first NOSPACE is answered at once while live data leaves room
		// (compact, defragment, disarm); the writes go on until it does not.
		Eventually(ctx, func(g Gomega) {
			_ = putValue(ctx, cli, "fill/"+time.Now().Format(time.RFC3339Nano), 256<<10)
			got, err := fw.FetchCluster(ctx, ec)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.Status.Alarms).To(Equal([]string{"NOSPACE"}))
			g.Expect(conditionMessage(got, etcdv1alpha1.ConditionDegraded)).To(ContainSubstring("delete keys or raise spec.tuning.quotaBackendBytes"))
		}).WithTimeout(4 * time.Minute).WithPolling(20 * time.Millisecond).Should(Succeed())
		Expect(putValue(ctx, cli, "refused", 1024)).To(MatchError(ContainSubstring("database space exceeded")))

		deleted := time.Now()
		_, err := cli.Delete(ctx, "fill/", clientv3.WithPrefix())
		Expect(err).NotTo(HaveOccurred())
		Eventually(ctx, func() error { return putValue(ctx, cli, "after-recovery", 1024) }).
			WithTimeout(3 * time.Minute).WithPolling(200 * time.Millisecond).Should(Succeed())
		secs := time.Since(deleted).Seconds()
		recordOperator(noSpaceRecovered, &secs, 3*time.Minute)
		Eventually(ctx, func(g Gomega) {
			got, err := fw.FetchCluster(ctx, ec)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.Status.Alarms).To(BeEmpty())
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
		events := careEventsOf(ctx, ec)
		GinkgoWriter.Println(strings.Join(events, "\n"))
		Expect(countPrefix(events, etcdv1alpha1.ReasonCompacted)).To(BeNumerically(">=", 1))
		Expect(countPrefix(events, etcdv1alpha1.ReasonAlarmDisarmed)).To(BeNumerically(">=", 1), "the last disarm, after the keys were deleted")
	})
})

// conditionMessage is the message of ec's condition of type typ.
func conditionMessage(ec *etcdv1alpha1.EtcdCluster, typ string) string {
	if c := meta.FindStatusCondition(ec.Status.Conditions, typ); c != nil {
		return c.Message
	}
	return ""
}

// conditionReason is the reason of ec's condition of type typ.
func conditionReason(ec *etcdv1alpha1.EtcdCluster, typ string) string {
	if c := meta.FindStatusCondition(ec.Status.Conditions, typ); c != nil {
		return c.Reason
	}
	return ""
}
