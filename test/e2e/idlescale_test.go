//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

const (
	// compactedLogWrites exceeds etcd's snapshot-catchup-entries (5000):
	// etcd then keeps no raft log from the start, and a new member can
	// only join from a snapshot.
	compactedLogWrites = 6000
	scaleUpIdle        = "scale.member.add.idleAfterSnapshotJoin"
)

func init() {
	descriptions[scaleUpIdle] = fmt.Sprintf("size 3 -> 4 on a cluster with no writes after %d (the new member joins from a snapshot): size edit -> 4 healthy voters, Running", compactedLogWrites)
}

var _ = Describe("Scaling an idle cluster", Label("scaling"), func() {
	// A member that joined from a snapshot refuses its own proposals
	// until it applies an entry past the snapshot, so it cannot publish
	// itself, and never starts, on a cluster that receives no writes. The
	// operator has etcd commit an empty entry while a learner waits.
	It("adds a member that joins from a snapshot while nothing writes", Label("snapshot", "slow"), func(ctx SpecContext) {
		ns := fw.NewNamespace(ctx, "idle")
		ec := newEtcdCluster(ns, "idle", 3)
		createTimed(ctx, ec, "")
		t := targetOf(ec)
		st := fw.ExpectHealthy(ctx, t)

		By(fmt.Sprintf("writing %d keys, then nothing", compactedLogWrites))
		fillLog(ctx, st.Endpoints(), compactedLogWrites)

		By("scaling 3->4")
		t0 := time.Now()
		Expect(updateCluster(ctx, ec, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = 4 })).To(Succeed())
		got, err := fw.FetchCluster(ctx, ec)
		Expect(err).NotTo(HaveOccurred())
		t.Size = 4
		secs, err := measure(ctx, t0, scaleBound, healthyAndRunning(ec, t, got.Generation))
		recordMeasurement(scaleUpIdle, secs, scaleBound)
		Expect(err).NotTo(HaveOccurred(), "%s/%s: 4 healthy voters and Running after %d writes and none since", ns, ec.Name, compactedLogWrites)
	}, SpecTimeout(specTimeout))
})

// fillLog writes n keys through endpoints, 16 at a time.
func fillLog(ctx context.Context, endpoints []string, n int) {
	c, err := fw.Dialer.New(endpoints...)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = c.Close() }()
	const workers = 16
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				_, err := c.Put(cctx, fmt.Sprintf("/e2e/fill/%d", i), "x")
				cancel()
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	Expect(<-errs).NotTo(HaveOccurred(), "filling the raft log")
}
