package integration

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// readyPodAt creates the member pod name at StatefulSet revision rev, Ready,
// as the StatefulSet controller and the kubelet would.
func readyPodAt(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, name, rev string) {
	p := createMemberPod(ctx, ec, name, func(p *corev1.Pod) { p.Labels[appsv1.ControllerRevisionHashLabelKey] = rev })
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
	Expect(k8sClient.Status().Update(ctx, p)).To(Succeed())
}

// setUpdateRevision has the StatefulSet report rev as its update revision.
func setUpdateRevision(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, rev string) {
	Eventually(func() error {
		sts := &appsv1.StatefulSet{}
		if err := get(ctx, ec.Namespace, ec.Name, sts); err != nil {
			return err
		}
		sts.Status.ObservedGeneration, sts.Status.UpdateRevision = sts.Generation, rev
		return k8sClient.Status().Update(ctx, sts)
	}, timeout, interval).Should(Succeed())
}

var _ = Describe("The ordered roll onto a new pod template", func() {
	It("restarts one member at a time, followers first, the leader last after its leadership moved", func(ctx SpecContext) {
		ec := runningCluster(ctx, "roll", 3)
		for i := range 3 {
			readyPodAt(ctx, ec, fmt.Sprintf("roll-%d", i), "r1")
		}
		Eventually(func() string { return leaderOf(fetch(ctx, ec)) }, timeout, interval).ShouldNot(BeEmpty())
		leader := leaderOf(fetch(ctx, ec))
		Consistently(func() []string { return eventReasons(ctx, ec) }, time.Second, interval).ShouldNot(ContainElement(etcdv1alpha1.ReasonRestartedMember))

		By("a new revision: the StatefulSet controller leaves the pods to the operator (OnDelete)")
		setUpdateRevision(ctx, ec, "r2")
		var order []string
		Eventually(func(g Gomega) {
			// The StatefulSet controller's part: a deleted pod comes back on
			// the update revision.
			for i := range 3 {
				name := fmt.Sprintf("roll-%d", i)
				err := get(ctx, ec.Namespace, name, &corev1.Pod{})
				if apierrors.IsNotFound(err) {
					order = append(order, name)
					readyPodAt(ctx, ec, name, "r2")
				}
			}
			g.Expect(order).To(HaveLen(3))
		}, 2*timeout, 50*time.Millisecond).Should(Succeed())
		GinkgoWriter.Println("restart order:", strings.Join(order, ", "), "leader was", leader)
		Expect(order[2]).To(Equal(leader), "the leader restarts last")
		Expect(order[:2]).NotTo(ContainElement(leader))
		Eventually(func() []string { return eventReasons(ctx, ec) }, timeout, interval).Should(ContainElement(etcdv1alpha1.ReasonLeaderMoved))
		Expect(leaderOf(fetch(ctx, ec))).NotTo(Equal(leader), "leadership moved before the leader restarted")
		Eventually(func() string { return reasonOf(fetch(ctx, ec), etcdv1alpha1.ConditionProgressing) }, timeout, interval).
			Should(Equal(etcdv1alpha1.ReasonReconciled))
		uids := map[string]string{}
		for i := range 3 {
			pod := &corev1.Pod{}
			Expect(get(ctx, ec.Namespace, fmt.Sprintf("roll-%d", i), pod)).To(Succeed())
			uids[pod.Name] = string(pod.UID)
		}
		Consistently(func(g Gomega) {
			for name, uid := range uids {
				pod := &corev1.Pod{}
				g.Expect(get(ctx, ec.Namespace, name, pod)).To(Succeed())
				g.Expect(string(pod.UID)).To(Equal(uid))
			}
		}, 2*time.Second, interval).Should(Succeed(), "each member restarted once")
	})
})
