//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

const (
	writeGapLeaderScaleDown = "write.gapMax.leaderMovedThenScaleDown"
	scaleUpRightAfterDown   = "scale.up.rightAfterDown"
	scalingSpecTimeout      = 15 * time.Minute
)

func init() {
	descriptions[writeGapLeaderScaleDown] = "longest interval without an acknowledged write from MoveLeader to ordinal 2 until size 1 is Running and healthy"
	descriptions[scaleUpRightAfterDown] = "size 1 -> 3 edited as soon as 3 -> 1 was Running (removed claims still there) -> 3 healthy voters, Running"
}

// Every spec here runs a client that writes through the client Service
// the whole time, and reads back every acknowledged write at the end.
var _ = Describe("Scaling with a client writing", Label("scaling", "writer"), func() {
	It("scales 1->3->5->3->1->3 without losing an acknowledged write", Label("slow"), func(ctx SpecContext) {
		ec, _, w := runningWithWriter(ctx, "scale", "scale", 1)
		for _, to := range []int32{3, 5, 3, 1, 3} {
			By(scaleStepName(ctx, ec, to))
			if s := scaleTo(ctx, ec, w, to); s.To < s.From {
				awaitRemovedClaims(ctx, ec, to)
			}
		}
		expectConverged(ctx, ec, w, 3)
	}, SpecTimeout(scalingSpecTimeout))

	It("scales 3->7 in one edit, adding members one at a time", Label("slow"), func(ctx SpecContext) {
		ec, _, w := runningWithWriter(ctx, "scale7", "seven", 3)
		s := scaleTo(ctx, ec, w, 7)
		Expect(s.Added).To(HaveLen(4), "added members")
		// One at a time: a learner is added only once the previous one
		// was promoted, so no look sees two learners.
		for _, l := range s.Looks {
			Expect(l.Learners).To(BeNumerically("<=", 1), "learners in etcd's member list at %s", l.At.Format("15:04:05.000"))
		}
		expectConverged(ctx, ec, w, 7)
	}, SpecTimeout(scalingSpecTimeout))

	// The operator supports etcd 3.5 too, whose members join differently:
	// from the raft log, so a new member's first publish returns at once
	// (3.6 and later send a snapshot, and the member waits 7 s: see README).
	// But 3.5 refuses the next add until every voter, the one just
	// promoted included, has been connected for 5 s.
	It("scales an etcd 3.5 cluster 3->6, whose new members join from the raft log", Label("etcd35", "slow"), func(ctx SpecContext) {
		ec, _, w := runningWithWriter(ctx, "etcd35", "v35", 3, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = etcd35Version })
		scaleTo(ctx, ec, w, 6)
		expectConverged(ctx, ec, w, 6)
	}, SpecTimeout(scalingSpecTimeout))

	It("scales 3->1 while the highest ordinal leads, moving leadership off it before removing it", Label("leader"), func(ctx SpecContext) {
		ec, t, w := runningWithWriter(ctx, "leaderdown", "lead", 3)

		By("moving leadership to ordinal 2")
		moveStart := time.Now()
		moveLeader(ctx, t, t.PodName(2))
		st := fw.ExpectHealthy(ctx, t)
		Expect(st.Leader().Pod).To(Equal(t.PodName(2)), "the leader before the scale-down")
		highest := st.Leader().ID()
		// The scaling step is measured from a writer that flows again: a
		// stall the spec's own leader move caused is not the step's.
		w.AwaitAckAfter(ctx, time.Now())

		By("scaling to 1")
		s := scaleTo(ctx, ec, w, 1)
		gap := w.GapIn(moveStart, time.Now()).Seconds()
		recordMeasurement(writeGapLeaderScaleDown, &gap, scaleBound)
		Expect(s.Removed).To(HaveLen(2), "removed members")
		// The operator hands leadership away before it removes the
		// leader: at the last look that still listed ordinal 2, the
		// members named another leader.
		last, listed := framework.LastListed(s.Looks, highest)
		Expect(listed).To(BeTrue(), "ordinal 2 (%x) in the tracker's looks", highest)
		Expect(last.Leaders).NotTo(BeEmpty(), "leaders named at %s, the last look listing ordinal 2", last.At.Format("15:04:05.000"))
		Expect(last.Leaders).NotTo(HaveKey(highest), "ordinal 2 still led at %s, the last look before it was removed", last.At.Format("15:04:05.000"))
		expectConverged(ctx, ec, w, 1)
	}, SpecTimeout(scalingSpecTimeout))

	// A scale-up edited as soon as a scale-down is Running finds pod n
	// still terminating and the removed member's claim not deleted yet.
	// Raising replicas then would stall the StatefulSet (it does not
	// create a pod while the old claim is there, and does not look again
	// when it goes) or hand the new pod the removed member's data (etcd
	// refuses it). The operator deletes the claim and waits for both to go
	// before adding the member. Holding the claims with a finalizer until
	// the old pods are gone makes that race happen every time.
	It("scales up right after a scale-down, while the removed members' claims are still being deleted", Label("claims"), func(ctx SpecContext) {
		ec, t, w := runningWithWriter(ctx, "downup", "downup", 3)
		pods, err := fw.LivePods(ctx, t)
		Expect(err).NotTo(HaveOccurred())
		release := holdClaims(ctx, t, 1, 2)
		scaleTo(ctx, ec, w, 1)

		By("scaling back to 3 at once, then letting the old claims go once their pods are gone")
		t0 := time.Now()
		Expect(updateCluster(ctx, ec, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = 3 })).To(Succeed())
		got, err := fw.FetchCluster(ctx, ec)
		Expect(err).NotTo(HaveOccurred())
		Eventually(ctx, func() ([]string, error) {
			return podsStillThere(ctx, t, pods[1:])
		}).WithTimeout(goneBound).WithPolling(250*time.Millisecond).Should(BeEmpty(), "the removed members' pods")
		release()
		t.Size = 3
		secs, err := measure(ctx, t0, recoveryBound, healthyAndRunning(ec, t, got.Generation))
		recordMeasurement(scaleUpRightAfterDown, secs, recoveryBound)
		Expect(err).NotTo(HaveOccurred(), "scaling 1->3 right after 3->1")
		expectConverged(ctx, ec, w, 3)
	}, SpecTimeout(scalingSpecTimeout))
})

// holdFinalizer keeps a claim from going away while a spec needs it.
const holdFinalizer = "e2e.etcd.io/hold"

// holdClaims puts holdFinalizer on the claims of t's given ordinals and
// returns the function that takes it off again, also run when the spec
// ends (the namespace could not go otherwise).
func holdClaims(ctx context.Context, t target, ordinals ...int) func() {
	change := func(ctx context.Context, hold bool) error {
		for _, o := range ordinals {
			key := client.ObjectKey{Namespace: t.Namespace, Name: t.Claim(t.PodName(o))}
			err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
				c := &corev1.PersistentVolumeClaim{}
				if err := k8s.Get(ctx, key, c); err != nil {
					return err
				}
				if hold {
					controllerutil.AddFinalizer(c, holdFinalizer)
				} else if !controllerutil.RemoveFinalizer(c, holdFinalizer) {
					return nil
				}
				return k8s.Update(ctx, c)
			})
			if client.IgnoreNotFound(err) != nil {
				return err
			}
		}
		return nil
	}
	Expect(change(ctx, true)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) { Expect(change(ctx, false)).To(Succeed()) })
	return func() { Expect(change(ctx, false)).To(Succeed()) }
}

// podsStillThere names the pods among old that still exist, terminating or not.
func podsStillThere(ctx context.Context, t target, old []corev1.Pod) ([]string, error) {
	pods, err := fw.Pods(ctx, t)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range pods {
		for _, o := range old {
			if p.UID == o.UID {
				out = append(out, p.Name)
			}
		}
	}
	return out, nil
}

// scaleStepName says which step runs next.
func scaleStepName(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, to int32) string {
	got, err := fw.FetchCluster(ctx, ec)
	Expect(err).NotTo(HaveOccurred())
	return fmt.Sprintf("scaling %d -> %d", got.Spec.Size, to)
}

// errMoved makes the caller look again once leadership was asked to move.
var errMoved = errors.New("leadership asked to move, not yet seen moved")

// moveLeader hands t's leadership to the member of pod, asking the current
// leader (etcd accepts MoveLeader only from it), and waits until every
// member names pod's member as leader.
func moveLeader(ctx context.Context, t target, pod string) {
	Eventually(ctx, func() error {
		st, err := fw.Observe(ctx, t)
		if err != nil {
			return err
		}
		if err := st.Healthy(t.Size); err != nil {
			return err
		}
		to, leader := st.Member(pod), st.Leader()
		if leader.Pod == pod {
			return nil
		}
		c, err := fw.Dialer.New(leader.Endpoint())
		if err != nil {
			return err
		}
		defer func() { _ = c.Close() }()
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := c.MoveLeader(cctx, to.ID()); err != nil {
			return err
		}
		return errMoved
	}).WithTimeout(time.Minute).WithPolling(pollInterval).Should(Succeed(), "leadership moved to %s", pod)
}

// expectConverged stops the writer, checks that no acknowledged write was
// lost and that the members agree on the data, then that ec reports
// Running with size ready members and, with PersistentVolumes, that only
// the claims of ordinals below size are left.
func expectConverged(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, w *writer, size int) {
	t := targetOf(ec)
	t.Size = size
	finishWriter(ctx, t, w)
	expectRunning(ctx, ec, statusBound)
	st := fw.ExpectHealthy(ctx, t)
	Expect(st.Members).To(HaveLen(size))
	if storageType(ec) != etcdv1alpha1.StoragePersistentVolume {
		return
	}
	want := map[string]bool{}
	for i := range size {
		want[t.Claim(t.PodName(i))] = true
	}
	Eventually(ctx, func() (map[string]bool, error) {
		claims, err := allClaims(ctx, t)
		return claimNames(claims), err
	}).WithTimeout(goneBound).WithPolling(250*time.Millisecond).Should(Equal(want), "the claims of %s/%s, the removed members' deleted", t.Namespace, t.Instance)
}

func claimNames(claims []corev1.PersistentVolumeClaim) map[string]bool {
	out := map[string]bool{}
	for _, c := range claims {
		out[c.Name] = true
	}
	return out
}
