//go:build e2e

package e2e

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
)

// followerRounds is how many times the follower spec deletes a follower
// pod, one after the other, for a median rather than a single sample.
const followerRounds = 5

var _ = Describe("Recovering from lost pods", Label("selfheal"), func() {
	It("brings a deleted follower pod back as the same member with its data", Label("pv"), func(ctx SpecContext) {
		ns := fw.NewNamespace(ctx, "follower")
		ec := newEtcdCluster(ns, "follower", 3)
		t := createCluster(ctx, ec)
		for round := range followerRounds {
			expectRunning(ctx, ec, statusBound)
			loss := loseFollower(ctx, t, round, recoveryBound)
			recordOperator(recoverFollowerPV, loss.Seconds, recoveryBound)
			Expect(loss.Err).NotTo(HaveOccurred(), "follower %s deleted: cluster not healthy again", loss.Victim.Pod)
			Expect(loss.After.IDsByPod()).To(Equal(loss.Before.IDsByPod()), "member IDs by pod")
			fw.Dialer.ExpectData(ctx, loss.After.Member(loss.Victim.Pod).Endpoint(), loss.Data)
		}
		expectRunning(ctx, ec, statusBound)
	}, SpecTimeout(specTimeout))

	It("elects a new leader when the leader pod is deleted, and the old one rejoins", Label("pv", "leader"), func(ctx SpecContext) {
		ns := fw.NewNamespace(ctx, "leader")
		ec := newEtcdCluster(ns, "leader", 3)
		t := createCluster(ctx, ec)
		expectRunning(ctx, ec, statusBound)
		before := fw.ExpectHealthy(ctx, t)
		kvs, _ := fw.Dialer.PutKeys(ctx, before.Endpoints(), "before", 5)
		old := before.Leader()

		t0 := deletePod(ctx, ns, old.Pod)
		newLeaders := map[uint64]bool{}
		secs, after, err := awaitRecovered(ctx, t, t0, recoveryBound, podUIDs(before, old.Pod), func(st clusterState) {
			for _, m := range st.Members {
				if m.Status != nil && m.Status.Leader != 0 && m.Status.Leader != old.ID() {
					newLeaders[m.Status.Leader] = true
				}
			}
		})
		recordOperator(recoverLeaderPV, secs, recoveryBound)
		Expect(err).NotTo(HaveOccurred(), "leader %s deleted: cluster not healthy again", old.Pod)
		Expect(newLeaders).NotTo(BeEmpty(), "no member ever named a new leader")
		Expect(after.Leader().ID()).NotTo(Equal(old.ID()), "the old leader leads again")
		Expect(after.IDsByPod()).To(Equal(before.IDsByPod()), "member IDs by pod")
		fw.Dialer.ExpectData(ctx, after.Member(old.Pod).Endpoint(), kvs)
		expectRunning(ctx, ec, statusBound)
	}, SpecTimeout(specTimeout))

	It("comes back with all its data when every pod is deleted at once and the claims stay", Label("pv", "quorum"), func(ctx SpecContext) {
		ns := fw.NewNamespace(ctx, "allpods")
		ec := newEtcdCluster(ns, "allpods", 3)
		t := createCluster(ctx, ec)
		expectRunning(ctx, ec, statusBound)
		before := fw.ExpectHealthy(ctx, t)
		kvs, _ := fw.Dialer.PutKeys(ctx, before.Endpoints(), "before", 5)
		claims := map[string]types.UID{}
		for _, c := range claimsOf(ctx, t) {
			claims[c.Name] = c.UID
		}
		Expect(claims).To(HaveLen(3))

		t0 := deleteAllPods(ctx, t)
		secs, after, err := awaitRecovered(ctx, t, t0, recoveryBound, podUIDs(before, t.PodName(0), t.PodName(1), t.PodName(2)), nil)
		recordOperator(recoverAllPodsPV, secs, recoveryBound)
		Expect(err).NotTo(HaveOccurred(), "all pods deleted: cluster not healthy again")
		Expect(after.IDsByPod()).To(Equal(before.IDsByPod()), "member IDs by pod")
		Expect(after.Members[0].Status.Header.ClusterId).To(Equal(before.Members[0].Status.Header.ClusterId), "cluster ID")
		for _, m := range after.Members {
			fw.Dialer.ExpectData(ctx, m.Endpoint(), kvs)
		}
		after2 := map[string]types.UID{}
		for _, c := range claimsOf(ctx, t) {
			after2[c.Name] = c.UID
		}
		Expect(after2).To(Equal(claims), "the same claims")
		expectRunning(ctx, ec, statusBound)
	}, SpecTimeout(specTimeout))

	// The operator replaces a member whose EmptyDir data went with its
	// pod: it removes the old member and adds the new pod as a new one.
	It("replaces a deleted EmptyDir follower, which comes back empty, by a new member", Label("emptydir"), func(ctx SpecContext) {
		ns := fw.NewNamespace(ctx, "ephemeral")
		ec := newEtcdCluster(ns, "ephemeral", 3, emptyDir)
		t := createCluster(ctx, ec)
		expectRunning(ctx, ec, statusBound)
		t0 := time.Now()
		loss := loseFollower(ctx, t, 0, emptyDirBound)
		recordOperator(recoverFollowerEmptyDir, loss.Seconds, emptyDirBound)
		Expect(loss.Err).NotTo(HaveOccurred(), "EmptyDir follower %s deleted: no 3 healthy voting members within %s", loss.Victim.Pod, emptyDirBound)
		expectRunning(ctx, ec, max(emptyDirBound-time.Since(t0), 5*time.Second))
		expectReplaced(ctx, loss.Before, loss.After, loss.Victim, loss.Data)
	}, SpecTimeout(specTimeout))
})
