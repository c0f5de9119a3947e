//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/resources"
	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

// opKillBound bounds convergence after the operator is killed: its new pod
// waits for the old one's leader-election lease to expire first.
const opKillBound = 5 * time.Minute

// operatorBackBound bounds the operator's return after a forced kill: the
// new pod starts, then waits out the killed pod's leader-election lease.
const operatorBackBound = 2 * time.Minute

// Every spec here runs a client that writes through the client Service
// the whole time, and reads back every acknowledged write at the end.
var _ = Describe("Self-healing with a client writing", Label("selfheal", "writer"), func() {
	It("converges when the operator is killed right after a member add and right after a member remove", Label("disruptive", "operator-kill", "slow"), func(ctx SpecContext) {
		ec, t, w := runningWithWriter(ctx, "opkillscale", "opk", 3)

		By("scaling 3->5 and killing the operator as soon as a learner is listed")
		killed := killOperatorWhen(ctx, ec, t, 5, func(list int) bool { return list > 3 })
		converge(ctx, ec, 5, killed, recoverOpKilledAdd)

		By("scaling 5->3 and killing the operator as soon as a member is removed")
		expectOperatorAvailable(ctx, operatorBackBound)
		expectOperatorLeading(ctx, operatorBackBound)
		t.Size = 5
		killed = killOperatorWhen(ctx, ec, t, 3, func(list int) bool { return list < 5 })
		converge(ctx, ec, 3, killed, recoverOpKilledRm)

		expectConverged(ctx, ec, w, 3)
		expectOperatorAvailable(ctx, operatorBackBound)
		expectOperatorLeading(ctx, operatorBackBound)
	}, SpecTimeout(scalingSpecTimeout))

	It("replaces a member whose claim was deleted while quorum holds", Label("claims"), func(ctx SpecContext) {
		r := newReplacement(ctx, "wiped", "heal", func(st clusterState, t target) memberState { return st.Member(t.PodName(2)) })

		By("deleting the claim of " + r.victim.Pod + ", then its pod (the claim waits for the pod)")
		Expect(k8s.Delete(ctx, r.claim)).To(Succeed())
		t0 := deletePod(ctx, r.ec.Namespace, r.victim.Pod)
		r.expectNewMember(ctx, t0, true, recoverDataWipedPV, "lost its data")
		r.expectFreshClaim(ctx)
		expectConverged(ctx, r.ec, r.w, 3)
		expectReplacements(ctx, r.ec, 1)
	}, SpecTimeout(specTimeout))

	// An etcd started on an empty volume while its old member is still
	// listed takes that member's ID from its peers and writes it into its
	// data, then stops on the leader's first heartbeat (its raft log is
	// gone). Restarted on that data once the member is replaced, it would
	// never be the new member: the replacement needs fresh storage.
	It("replaces a member whose claim was deleted while reconciliation was paused", Label("claims", "paused"), func(ctx SpecContext) {
		r := newReplacement(ctx, "pausedwipe", "pw", firstFollower)
		ns, victim := r.ec.Namespace, r.victim
		setPaused(ctx, r.ec, true)

		By("deleting the claim and pod of " + victim.Pod + ", and letting etcd start on the empty volume")
		Expect(k8s.Delete(ctx, r.claim)).To(Succeed())
		deletePod(ctx, ns, victim.Pod)
		Eventually(ctx, func() (string, error) {
			return etcdStartedAgain(ctx, ns, victim)
		}).WithTimeout(time.Minute).WithPolling(pollInterval).Should(BeEmpty(), "etcd in a new pod %s", victim.Pod)
		// Paused, the operator leaves the old member listed meanwhile.
		Consistently(ctx, func() ([]uint64, error) {
			list, err := fw.Dialer.MemberList(ctx, r.before.Leader().Endpoint())
			ids := make([]uint64, 0, len(list))
			for _, m := range list {
				ids = append(ids, m.ID)
			}
			return ids, err
		}).WithTimeout(3*time.Second).WithPolling(time.Second).Should(ContainElement(victim.ID()), "the old member of %s while paused", victim.Pod)

		By("resuming reconciliation")
		t0 := time.Now()
		setPaused(ctx, r.ec, false)
		r.expectNewMember(ctx, t0, true, recoverWipedPaused, "lost its data while paused")
		expectConverged(ctx, r.ec, r.w, 3)
		expectReplacements(ctx, r.ec, 1)
	}, SpecTimeout(specTimeout))

	// etcd stops a removed member for good: every restart on its data
	// stops again. The operator adds the pod back as a new member and
	// gives it fresh storage (a new claim), which also finishes a
	// replacement cut short between its remove and its add.
	It("re-adds a member removed by hand as a new member on fresh storage", Label("claims"), func(ctx SpecContext) {
		r := newReplacement(ctx, "removed", "rm", firstFollower)

		By("removing the member of " + r.victim.Pod + " with clientv3, as an admin would")
		c, err := fw.Dialer.New(r.before.Leader().Endpoint())
		Expect(err).NotTo(HaveOccurred())
		defer func() { _ = c.Close() }()
		var t0 time.Time
		// etcd refuses a removal until its members have been connected
		// for 5 s (strict reconfig check): retried, as an admin would.
		Eventually(ctx, func() error {
			t0 = time.Now()
			_, err := c.MemberRemove(ctx, r.victim.ID())
			return err
		}).WithTimeout(30*time.Second).WithPolling(time.Second).Should(Succeed(), "removing the member of %s", r.victim.Pod)
		r.expectNewMember(ctx, t0, false, recoverRemovedPV, "had its member removed")
		r.expectFreshClaim(ctx)
		expectConverged(ctx, r.ec, r.w, 3)
	}, SpecTimeout(specTimeout))

	It("recovers when two of three pods are deleted at once, with the same members and all data", Label("quorum"), func(ctx SpecContext) {
		ec, t, w := runningWithWriter(ctx, "twopods", "two", 3)
		ns := ec.Namespace
		before := fw.ExpectHealthy(ctx, t)
		victims := []string{before.Leader().Pod, before.Followers()[0].Pod}

		By(fmt.Sprintf("deleting %v (the leader and a follower) at once", victims))
		t0 := time.Now()
		for _, p := range victims {
			deletePod(ctx, ns, p)
		}
		secs, after, err := awaitRecovered(ctx, t, t0, recoveryBound, podUIDs(before, victims...), nil)
		recordMeasurement(recoverTwoPodsPV, secs, recoveryBound)
		Expect(err).NotTo(HaveOccurred(), "two pods deleted: cluster not healthy again")
		Expect(after.IDsByPod()).To(Equal(before.IDsByPod()), "member IDs by pod")
		Expect(after.Members[0].Status.Header.ClusterId).To(Equal(before.Members[0].Status.Header.ClusterId), "cluster ID")
		// Quorum was lost for a while: the phase may go through Failed and
		// Recovering before Running.
		expectRunning(ctx, ec, recoveryBound)
		expectConverged(ctx, ec, w, 3)
	}, SpecTimeout(specTimeout))

	It("creates and runs a cluster while another cluster's members hang, and reports both creation times", Label("disruptive"), func(ctx SpecContext) {
		ns := fw.NewNamespace(ctx, "frozen")

		By("creating cluster C while nothing is broken")
		ecC := newEtcdCluster(ns, "normal", 3)
		secsC := createTimed(ctx, ecC, createNothingBroken)
		tC := targetOf(ecC)
		expectRunning(ctx, ecC, statusBound)
		w := fw.StartWriter(ctx, tC, "normal")

		By("creating cluster A and stopping its etcd processes")
		ecA := newEtcdCluster(ns, "hung", 3)
		createTimed(ctx, ecA, "")
		tA := targetOf(ecA)
		stA := fw.ExpectHealthy(ctx, tA)
		f := freezeCluster(ctx, tA)
		Eventually(ctx, func() error { return fw.Dialer.AllSilent(ctx, stA) }).
			WithTimeout(30*time.Second).WithPolling(pollInterval).Should(Succeed(), "A's members still answer")
		// The operator has seen A broken once its status counts no ready member.
		Eventually(ctx, func() (int32, error) {
			got, err := fw.FetchCluster(ctx, ecA)
			return got.Status.ReadyMembers, err
		}).WithTimeout(time.Minute).WithPolling(500*time.Millisecond).Should(BeZero(), "A's readyMembers")

		By("creating cluster B while A hangs")
		ecB := newEtcdCluster(ns, "other", 3)
		secsB := createTimed(ctx, ecB, createOtherFrozen)
		GinkgoWriter.Printf("apply -> Running: %s with nothing broken, %s while another cluster hangs\n", framework.FormatSeconds(secsC), framework.FormatSeconds(secsB))
		expectRunning(ctx, ecB, statusBound)
		fw.ExpectHealthy(ctx, targetOf(ecB))
		expectConverged(ctx, ecC, w, 3)

		By("thawing A: it comes back on its own")
		f.thaw()
		expectRunning(ctx, ecA, recoveryBound)
		fw.ExpectHealthy(ctx, tA)
	}, SpecTimeout(specTimeout))
})

// killOperatorWhen sets ec's size to `to`, watches etcd's member list
// through t's members and force-deletes the operator's pod as soon as
// killAt(the number of listed members) is true; it returns the kill time.
func killOperatorWhen(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, t target, to int32, killAt func(listed int) bool) time.Time {
	st := fw.ExpectHealthy(ctx, t)
	c, err := fw.Dialer.NewApp(st.Endpoints()...)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = c.Close() }()
	old := map[types.UID]bool{}
	for _, p := range operatorPods(ctx) {
		old[p.UID] = true
	}
	Expect(updateCluster(ctx, ec, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = to })).To(Succeed())
	Eventually(ctx, func() (int, error) {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		resp, err := c.MemberList(cctx)
		if err != nil {
			return 0, err
		}
		return len(resp.Members), nil
	}).WithTimeout(time.Minute).WithPolling(20*time.Millisecond).Should(Satisfy(killAt), "etcd's member list of %s/%s while scaling to %d", t.Namespace, t.Instance, to)
	killed := time.Now()
	killOperator(ctx)
	GinkgoWriter.Printf("operator pods %v killed at %s\n", old, killed.Format("15:04:05.000"))
	return killed
}

// converge measures, from killed, until ec runs size healthy voters and
// reports Running, and records it under key.
func converge(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, size int32, killed time.Time, key string) {
	t := targetOf(ec)
	t.Size = int(size)
	got, err := fw.FetchCluster(ctx, ec)
	Expect(err).NotTo(HaveOccurred())
	secs, err := measure(ctx, killed, opKillBound, healthyAndRunning(ec, t, got.Generation))
	recordMeasurement(key, secs, opKillBound)
	Expect(err).NotTo(HaveOccurred(), "%s/%s: %d healthy voters and Running after the operator was killed", ec.Namespace, ec.Name, size)
}

// healthyAndRunning is a measure condition: t.Size healthy voters in etcd,
// and ec reporting Running for generation gen with that many ready.
func healthyAndRunning(ec *etcdv1alpha1.EtcdCluster, t target, gen int64) func(context.Context) error {
	return func(ctx context.Context) error {
		st, err := fw.Observe(ctx, t)
		if err != nil {
			return err
		}
		if err := st.Healthy(t.Size); err != nil {
			return err
		}
		return runningAt(ctx, ec, gen, int32(t.Size))
	}
}

// createTimed applies ec and waits until it is Running with all members
// healthy; it records apply -> Running under key (unless key is empty)
// and returns it.
func createTimed(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, key string) *float64 {
	t0 := time.Now()
	Expect(k8s.Create(ctx, ec)).To(Succeed())
	running, _, err := awaitCreated(ctx, ec, t0, createBound)
	if key != "" {
		recordMeasurement(key, running, createBound)
	}
	Expect(err).NotTo(HaveOccurred(), "%d-member cluster %s/%s not Running and healthy within %s", ec.Spec.Size, ec.Namespace, ec.Name, createBound)
	return running
}

// replacement is what a spec that takes a member's data away starts from:
// a 3-member cluster with a writer, keys written before, the member to
// lose (the victim) and its claim.
type replacement struct {
	ec     *etcdv1alpha1.EtcdCluster
	t      target
	w      *writer
	before clusterState
	kvs    map[string]string
	victim memberState
	claim  *corev1.PersistentVolumeClaim
}

func newReplacement(ctx context.Context, nsPrefix, name string, pick func(clusterState, target) memberState) replacement {
	ec, t, w := runningWithWriter(ctx, nsPrefix, name, 3)
	r := replacement{ec: ec, t: t, w: w, before: fw.ExpectHealthy(ctx, t)}
	r.kvs, _ = fw.Dialer.PutKeys(ctx, r.before.Endpoints(), "before", 5)
	r.victim = pick(r.before, t)
	r.claim = memberClaim(ctx, t, r.victim.Pod)
	return r
}

func firstFollower(st clusterState, _ target) memberState { return st.Followers()[0] }

// expectNewMember waits from t0 for a new member in the victim's place (in
// a new pod when newPod), records the time under key, and checks that the
// other members and every key are still there.
func (r replacement) expectNewMember(ctx context.Context, t0 time.Time, newPod bool, key, what string) {
	secs, after, err := awaitNewMember(ctx, r.t, t0, r.victim, newPod)
	recordMeasurement(key, secs, recoveryBound)
	Expect(err).NotTo(HaveOccurred(), "%s %s: no new member in its place within %s", r.victim.Pod, what, recoveryBound)
	expectReplaced(ctx, r.before, after, r.victim, r.kvs)
}

// expectFreshClaim checks that the victim's pod runs on a new claim.
func (r replacement) expectFreshClaim(ctx context.Context) {
	Expect(memberClaim(ctx, r.t, r.victim.Pod).UID).NotTo(Equal(r.claim.UID), "a fresh claim for %s", r.victim.Pod)
}

// memberClaim is the claim of a member's pod.
func memberClaim(ctx context.Context, t target, pod string) *corev1.PersistentVolumeClaim {
	claim := &corev1.PersistentVolumeClaim{}
	Expect(k8s.Get(ctx, types.NamespacedName{Namespace: t.Namespace, Name: t.Claim(pod)}, claim)).To(Succeed())
	return claim
}

// awaitNewMember measures, from t0, the time until victim's pod (a new
// pod, with newPod) runs a member with another ID and t is healthy.
func awaitNewMember(ctx context.Context, t target, t0 time.Time, victim memberState, newPod bool) (*float64, clusterState, error) {
	var after clusterState
	secs, err := measure(ctx, t0, recoveryBound, func(ctx context.Context) error {
		st, err := fw.Observe(ctx, t)
		if err != nil {
			return err
		}
		after = st
		m := st.Member(victim.Pod)
		switch {
		case newPod && (m.PodUID == "" || m.PodUID == victim.PodUID):
			return fmt.Errorf("pod %s not recreated yet", victim.Pod)
		case m.ID() == victim.ID():
			return fmt.Errorf("%s still answers as the old member %x", victim.Pod, victim.ID())
		}
		return st.Healthy(t.Size)
	})
	return secs, after, err
}

// setPaused sets ec's spec.paused and waits until the operator has
// reconciled that generation.
func setPaused(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, paused bool) {
	By(fmt.Sprintf("setting %s/%s paused=%v", ec.Namespace, ec.Name, paused))
	Expect(updateCluster(ctx, ec, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Paused = paused })).To(Succeed())
	Eventually(ctx, func(g Gomega) {
		got, err := fw.FetchCluster(ctx, ec)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
	}).WithTimeout(statusBound).WithPolling(pollInterval).Should(Succeed(), "%s/%s paused=%v observed", ec.Namespace, ec.Name, paused)
}

// etcdStartedAgain is "" once victim's pod was recreated and its etcd
// container has started, else what is still missing.
func etcdStartedAgain(ctx context.Context, ns string, victim memberState) (string, error) {
	pod := &corev1.Pod{}
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: victim.Pod}, pod); apierrors.IsNotFound(err) {
		return "no pod yet", nil
	} else if err != nil {
		return "", err
	}
	if pod.UID == victim.PodUID {
		return "the old pod is still there", nil
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == resources.EtcdContainer && (cs.State.Running != nil || cs.RestartCount > 0) {
			return "", nil
		}
	}
	return "etcd not started in the new pod", nil
}

// expectReplacements checks from the cluster's Events that the operator
// replaced exactly n members: a Replace, or a Remove whose add back etcd
// refused and the next pass made.
func expectReplacements(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, n int) {
	list := &eventsv1.EventList{}
	Expect(k8s.List(ctx, list, client.InNamespace(ec.Namespace))).To(Succeed())
	var got []string
	for _, e := range list.Items {
		if e.Regarding.Kind == "EtcdCluster" && e.Regarding.Name == ec.Name && (e.Reason == "Replace" || e.Reason == "Remove") {
			got = append(got, e.Reason+": "+e.Note)
		}
	}
	Expect(got).To(HaveLen(n), "replacements of %s", ec.Name)
}

// expectReplaced checks that only victim's member changed and that the
// new one holds kvs.
func expectReplaced(ctx context.Context, before, after clusterState, victim memberState, kvs map[string]string) {
	Expect(after.Member(victim.Pod).ID()).NotTo(Equal(victim.ID()), "a new member ID for %s", victim.Pod)
	for _, m := range before.Members {
		if m.Pod != victim.Pod {
			Expect(after.Member(m.Pod).ID()).To(Equal(m.ID()), "%s keeps its member ID", m.Pod)
		}
	}
	fw.Dialer.ExpectData(ctx, after.Member(victim.Pod).Endpoint(), kvs)
}
