//go:build e2e

package e2e

import (
	"context"
	"time"

	. "github.com/onsi/gomega"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// runningWithWriter creates an EtcdCluster called name with size members in
// a new namespace (prefix nsPrefix), waits for it to run and starts a
// writer on it under the prefix name.
func runningWithWriter(ctx context.Context, nsPrefix, name string, size int32, mutators ...func(*etcdv1alpha1.EtcdCluster)) (*etcdv1alpha1.EtcdCluster, target, *writer) {
	ec := newEtcdCluster(fw.NewNamespace(ctx, nsPrefix), name, size, mutators...)
	t := createCluster(ctx, ec)
	expectRunning(ctx, ec, statusBound)
	return ec, t, fw.StartWriter(ctx, t, name)
}

// finishWriter stops w, records its report for the spec and checks, on
// etcd itself through t's client Service, that no acknowledged write was
// lost; then that all of st's members hold the same data at the last
// acknowledged revision.
func finishWriter(ctx context.Context, t target, w *writer) writeReport {
	r := w.Stop()
	Expect(r.Acknowledged).To(BeNumerically(">", 0), "the writer never got a write acknowledged")
	d := dialerOf(ctx, t)
	lost, err := d.LostWrites(ctx, []string{fw.ClientServiceURL(ctx, t)}, r)
	Expect(err).NotTo(HaveOccurred())
	recordWriter(r, len(lost))
	Expect(lost).To(BeEmpty(), "lost acknowledged writes (%d of %d acknowledged)", len(lost), r.Acknowledged)

	st := fw.ExpectHealthy(ctx, t)
	rev := r.LastRevision()
	Eventually(ctx, func() (map[uint32][]string, error) {
		return d.HashesAt(ctx, st, rev)
	}).WithTimeout(30*time.Second).WithPolling(200*time.Millisecond).Should(HaveLen(1), "HashKV at revision %d differs between members", rev)
	return r
}
