//go:build e2e

package e2e

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

var _ = Describe("Creating an EtcdCluster", Label("create"), func() {
	DescribeTable("runs healthy members with exactly one leader and the same data on all", Label("smoke"),
		func(ctx SpecContext, size int32, onEmptyDir bool) {
			ns := fw.NewNamespace(ctx, fmt.Sprintf("create%d", size))
			ec := newEtcdCluster(ns, fmt.Sprintf("etcd-%d", size), size)
			if onEmptyDir {
				emptyDir(ec)
			}
			t := createCluster(ctx, ec)
			st := fw.ExpectHealthy(ctx, t)
			leaders := 0
			for _, m := range st.Members {
				if m.ID() == m.Status.Leader {
					leaders++
				}
			}
			Expect(leaders).To(Equal(1))

			_, rev := fw.Dialer.PutKeys(ctx, st.Endpoints(), "hash", 10)
			Eventually(ctx, func() (map[uint32][]string, error) {
				return fw.Dialer.HashesAt(ctx, st, rev)
			}).WithTimeout(30*time.Second).WithPolling(200*time.Millisecond).Should(HaveLen(1), "HashKV at revision %d differs between members", rev)
		},
		Entry("1 member", int32(1), false, SpecTimeout(specTimeout)),
		Entry("3 members", int32(3), false, SpecTimeout(specTimeout)),
		Entry("5 members", int32(5), false, SpecTimeout(specTimeout)),
		// More samples of the creation time on EmptyDir, which the floor
		// also measures.
		Entry("3 members on EmptyDir", int32(3), true, SpecTimeout(specTimeout)),
		Entry("3 members on EmptyDir, again", int32(3), true, SpecTimeout(specTimeout)),
	)

	// Every supported minor runs: 3.7 above, 3.5 in the scaling specs, 3.6 here.
	It("runs an etcd 3.6 cluster and reports its version", Label("smoke", "etcd36"), func(ctx SpecContext) {
		ns := fw.NewNamespace(ctx, "etcd36")
		ec := newEtcdCluster(ns, "v36", 3)
		ec.Spec.Version = etcd36Version
		t := createCluster(ctx, ec)
		st := fw.ExpectHealthy(ctx, t)
		for _, m := range st.Members {
			Expect(m.Status.Version).To(Equal(etcd36Version), m.Pod)
		}
		Eventually(ctx, func() (string, error) {
			got, err := fw.FetchCluster(ctx, ec)
			if err != nil {
				return "", err
			}
			return got.Status.CurrentVersion, nil
		}).WithTimeout(statusBound).WithPolling(time.Second).Should(Equal(etcd36Version))
	}, SpecTimeout(specTimeout))

	It("reports etcd's own truth in status", Label("smoke", "status"), func(ctx SpecContext) {
		ns := fw.NewNamespace(ctx, "status")
		ec := newEtcdCluster(ns, "truth", 3)
		t := createCluster(ctx, ec)

		// Status is refreshed by polling: wait for a version of it that
		// matches what etcd says at the same time.
		Eventually(ctx, func(g Gomega) {
			st, err := fw.Observe(ctx, t)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(st.Healthy(3)).To(Succeed())
			got, err := fw.FetchCluster(ctx, ec)
			g.Expect(err).NotTo(HaveOccurred())
			expectStatusMatches(g, got, st)
		}).WithTimeout(statusBound).WithPolling(time.Second).Should(Succeed())

		By("reaching etcd through the client Service that status.clientEndpoint names")
		got, err := fw.FetchCluster(ctx, ec)
		Expect(err).NotTo(HaveOccurred())
		names := resources.For(ec, "")
		Expect(got.Status.ClientEndpoint).To(And(HavePrefix(names.Scheme+"://"+names.ClientService()+"."+ns+".svc."), HaveSuffix(fmt.Sprintf(":%d", resources.ClientPort))))
		svc := &corev1.Service{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: names.ClientService()}, svc)).To(Succeed())
		kvs, _ := fw.Dialer.PutKeys(ctx, []string{fw.Dialer.URL(svc.Spec.ClusterIP)}, "via-service", 3)
		st := fw.ExpectHealthy(ctx, t)
		for _, m := range st.Members {
			fw.Dialer.ExpectData(ctx, m.Endpoint(), kvs)
		}
	}, SpecTimeout(specTimeout))
})

// expectStatusMatches compares ec's status with what the members said.
func expectStatusMatches(g Gomega, ec *etcdv1alpha1.EtcdCluster, st clusterState) {
	s := ec.Status
	g.Expect(s.Phase).To(Equal(etcdv1alpha1.PhaseRunning))
	g.Expect(s.ObservedGeneration).To(Equal(ec.Generation))
	g.Expect(s.ReadyMembers).To(Equal(ec.Spec.Size))
	g.Expect(s.CurrentVersion).To(Equal(etcdVersion))
	g.Expect(s.ClusterID).To(Equal(etcdstate.HexID(st.Members[0].Status.Header.ClusterId)))
	for cond, want := range map[string]metav1.ConditionStatus{
		etcdv1alpha1.ConditionAvailable:   metav1.ConditionTrue,
		etcdv1alpha1.ConditionProgressing: metav1.ConditionFalse,
		etcdv1alpha1.ConditionDegraded:    metav1.ConditionFalse,
	} {
		c := meta.FindStatusCondition(s.Conditions, cond)
		g.Expect(c).NotTo(BeNil(), "condition %s", cond)
		g.Expect(c.Status).To(Equal(want), "condition %s: %s %s", cond, c.Reason, c.Message)
	}

	// etcd's member list, ID by name, as in status.members.
	listed := map[string]string{}
	for _, m := range st.List {
		listed[m.Name] = etcdstate.HexID(m.ID)
	}
	reported := map[string]string{}
	for _, m := range s.Members {
		reported[m.Name] = m.ID
	}
	g.Expect(reported).To(Equal(listed), "status.members names and IDs against etcd's member list")
	for _, m := range s.Members {
		e := st.Member(m.Name)
		g.Expect(e.Status).NotTo(BeNil(), "status names %s, which is not a live pod", m.Name)
		g.Expect(m.ID).To(Equal(etcdstate.HexID(e.ID())), "%s: ID", m.Name)
		g.Expect(m.Leader).To(Equal(e.ID() == e.Status.Leader), "%s: leader flag, etcd's leader is %x", m.Name, e.Status.Leader)
		g.Expect(m.Healthy).To(BeTrue(), "%s: healthy", m.Name)
		g.Expect(m.Learner).To(BeFalse(), "%s: learner", m.Name)
		g.Expect(m.Version).To(Equal(e.Status.Version), "%s: version", m.Name)
	}
}
