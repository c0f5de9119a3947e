package integration

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/test/etcdtest"
)

var _ = Describe("A formed cluster", func() {
	// A StatefulSet deleted by hand used to be rendered again with
	// initial-cluster-state new: with EmptyDir storage a new, empty etcd
	// cluster formed under the old one's name while status kept the old ID.
	It("never bootstraps again when its StatefulSet is deleted, and reports members that answer as another cluster", func(ctx SpecContext) {
		ec := runningCluster(ctx, "reborn", 1)
		oldID := ec.Status.ClusterID
		Expect(oldID).NotTo(BeEmpty())
		sts := &appsv1.StatefulSet{}
		Expect(get(ctx, ec.Namespace, "reborn", sts)).To(Succeed())
		Expect(k8sClient.Delete(ctx, sts)).To(Succeed())
		Eventually(func(g Gomega) {
			again := &appsv1.StatefulSet{}
			g.Expect(get(ctx, ec.Namespace, "reborn", again)).To(Succeed())
			g.Expect(again.UID).NotTo(Equal(sts.UID))
		}, timeout, interval).Should(Succeed(), "the StatefulSet is not rendered again")
		cm := &corev1.ConfigMap{}
		Expect(get(ctx, ec.Namespace, "reborn-config", cm)).To(Succeed())
		Expect(cm.Data).To(HaveKeyWithValue("ETCD_INITIAL_CLUSTER_STATE", "existing"), "a formed cluster is never bootstrapped again")
		Expect(cm.Data["ETCD_INITIAL_CLUSTER"]).To(HavePrefix("reborn-0="))

		// What an EmptyDir cluster bootstrapped anew looks like: its
		// members answer with another cluster ID.
		startedMembers(ec).Close()
		fresh := etcdtest.NewCluster(ec.Namespace + "-reborn-anew")
		Expect(fresh.Start(func(pod string) string { return members.peerURL(ec, pod) }, "reborn-0")).To(Succeed())
		DeferCleanup(fresh.Close)
		members.set(client.ObjectKeyFromObject(ec), fresh)
		markPodsReady(ctx, ec.Namespace, "reborn")
		Eventually(func() string { return reasonOf(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded) }, timeout, interval).
			Should(Equal(etcdv1alpha1.ReasonClusterIDMismatch))
		got := fetch(ctx, ec)
		Expect(got.Status.ClusterID).To(Equal(oldID), "status keeps the cluster it knew")
		Expect(condition(got, etcdv1alpha1.ConditionDegraded).Message).To(ContainSubstring("answer as etcd cluster"))
		Eventually(func() []string { return eventReasons(ctx, ec) }, timeout, interval).Should(ContainElement(etcdv1alpha1.ReasonClusterIDMismatch))
		Expect(count(eventReasons(ctx, ec), etcdv1alpha1.ReasonClusterIDMismatch)).To(Equal(1), "one Event, not one per pass")
	})
})
