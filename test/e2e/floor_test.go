//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// floorRounds is how many static clusters each floor spec creates, one
// after the other: as many as the operator's 3-member creations in a run
// (15), because creation times are bimodal (a pod's first lookup of a
// peer's name may be answered NXDOMAIN and cached for seconds), and the
// medians of 5 and of 15 such samples are not comparable.
const floorRounds = 15

// The floor is what Kubernetes alone takes with the same pod template: the
// chart installed by helm, without the operator, as a static cluster. The
// operator's times are reported as ratios of it.
var _ = Describe("The floor: the chart installed by helm without the operator", Label("floor", "slow"), func() {
	It("measures apply -> 3 healthy members and the recovery of a deleted follower, with PersistentVolumes", Label("pv"), func(ctx SpecContext) {
		ns := fw.NewNamespace(ctx, "floor")
		for round := range floorRounds {
			t := installFloor(ctx, ns, fmt.Sprintf("floor-%d", round), etcdv1alpha1.StoragePersistentVolume)
			loss := loseFollower(ctx, t, round, recoveryBound)
			recordFloor(recoverFollowerPV, loss.Seconds, recoveryBound)
			Expect(loss.Err).NotTo(HaveOccurred(), "the chart alone must recover a follower that kept its claim")
			Expect(loss.After.IDsByPod()).To(Equal(loss.Before.IDsByPod()), "member IDs by pod")
			fw.Dialer.ExpectData(ctx, loss.After.Member(loss.Victim.Pod).Endpoint(), loss.Data)
			uninstallFloor(ctx, t)
		}
	}, SpecTimeout(specTimeout))

	It("measures apply -> 3 healthy members with EmptyDir, and reports whether a deleted follower, back empty, recovers", Label("emptydir"), func(ctx SpecContext) {
		ns := fw.NewNamespace(ctx, "floor")
		for round := range floorRounds {
			t := installFloor(ctx, ns, fmt.Sprintf("floor-%d", round), etcdv1alpha1.StorageEmptyDir)
			if round == 0 {
				// Measured, not asserted, and once (the wait is bounded but
				// long): a static member that lost its data cannot rejoin,
				// and nothing replaces it.
				loss := loseFollower(ctx, t, round, floorEmptyDirWait)
				recordFloor(recoverFollowerEmptyDir, loss.Seconds, floorEmptyDirWait)
				GinkgoWriter.Printf("floor EmptyDir follower %s deleted: recovered=%v (%v)\n", loss.Victim.Pod, loss.Seconds != nil, loss.Err)
			}
			uninstallFloor(ctx, t)
		}
	}, SpecTimeout(specTimeout))
})

// installFloor installs the chart as release in ns, a static 3-member
// cluster, and records the time from helm's return (the objects exist) to
// all members healthy.
func installFloor(ctx context.Context, ns, release string, storage etcdv1alpha1.StorageType) target {
	set := []string{"replicas=3"}
	helmKey := helmInstallPV
	if storage == etcdv1alpha1.StorageEmptyDir {
		set, helmKey = append(set, "storage.type=EmptyDir"), helmInstallEmptyDir
	}
	took := helmInstall(ctx, ns, release, set...)
	t0 := time.Now()
	recordFloor(helmKey, seconds(took), time.Minute)
	t := target{Namespace: ns, Instance: release, Size: 3}
	healthy, err := measure(ctx, t0, createBound, func(ctx context.Context) error {
		st, err := fw.Observe(ctx, t)
		if err != nil {
			return err
		}
		return st.Healthy(t.Size)
	})
	Expect(err).NotTo(HaveOccurred(), "the chart alone must run a healthy 3-member cluster")
	// The same end as the operator's phase Running: etcd healthy and every
	// pod Ready, so that the client Service routes to it.
	ready, err := measure(ctx, t0, createBound, func(ctx context.Context) error {
		if err := allPodsReady(ctx, t); err != nil {
			return err
		}
		st, err := fw.Observe(ctx, t)
		if err != nil {
			return err
		}
		return st.Healthy(t.Size)
	})
	recordFloorCreation(storage, healthy, ready)
	Expect(err).NotTo(HaveOccurred(), "the chart alone must run 3 Ready pods")
	return t
}

// allPodsReady is nil once t has t.Size live pods, all Ready.
func allPodsReady(ctx context.Context, t target) error {
	pods, err := fw.LivePods(ctx, t)
	if err != nil {
		return err
	}
	if len(pods) != t.Size {
		return fmt.Errorf("%d of %d pods", len(pods), t.Size)
	}
	for _, p := range pods {
		ready := false
		for _, c := range p.Status.Conditions {
			ready = ready || (c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue)
		}
		if !ready {
			return fmt.Errorf("pod %s not Ready", p.Name)
		}
	}
	return nil
}

// uninstallFloor removes t's release and waits until its pods are gone, so
// that the next measurement runs alone.
func uninstallFloor(ctx context.Context, t target) {
	helmRun(ctx, "uninstall", t.Instance, "-n", t.Namespace, "--wait=false")
	expectNoPods(ctx, t)
}
