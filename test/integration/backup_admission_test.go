package integration

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

func s3Destination() etcdv1alpha1.BackupDestination {
	return etcdv1alpha1.BackupDestination{S3: &etcdv1alpha1.S3Destination{Endpoint: "http://s3.local:8333", Bucket: "backups", CredentialsSecret: "s3"}}
}

func claimDestination() etcdv1alpha1.BackupDestination {
	return etcdv1alpha1.BackupDestination{PersistentVolumeClaim: &etcdv1alpha1.ClaimDestination{ClaimName: "backups"}}
}

var _ = Describe("Backup admission", Label("crd", "backup"), func() {
	expectInvalid := func(err error, msg string) {
		Expect(err).To(HaveOccurred())
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), err.Error())
		Expect(err.Error()).To(ContainSubstring(msg))
	}

	DescribeTable("refuses a bad EtcdBackup with what to change",
		func(ctx SpecContext, mutate func(*etcdv1alpha1.EtcdBackup), msg string) {
			b := &etcdv1alpha1.EtcdBackup{ObjectMeta: metav1.ObjectMeta{Namespace: newNamespace(ctx), Name: "b"},
				Spec: etcdv1alpha1.EtcdBackupSpec{ClusterName: "c", Destination: s3Destination()}}
			mutate(b)
			expectInvalid(k8sClient.Create(ctx, b), msg)
		},
		Entry("no destination", func(b *etcdv1alpha1.EtcdBackup) { b.Spec.Destination = etcdv1alpha1.BackupDestination{} },
			"destination needs exactly one of persistentVolumeClaim and s3"),
		Entry("two destinations", func(b *etcdv1alpha1.EtcdBackup) {
			b.Spec.Destination.PersistentVolumeClaim = claimDestination().PersistentVolumeClaim
		},
			"destination needs exactly one of persistentVolumeClaim and s3"),
		Entry("an endpoint with a path", func(b *etcdv1alpha1.EtcdBackup) { b.Spec.Destination.S3.Endpoint = "https://s3/x" }, "s3.endpoint must be http:// or https://"),
		Entry("a claim path that climbs out", func(b *etcdv1alpha1.EtcdBackup) {
			b.Spec.Destination = claimDestination()
			b.Spec.Destination.PersistentVolumeClaim.Path = "../etc"
		}, "without '..'"),
		Entry("a deadline of a second", func(b *etcdv1alpha1.EtcdBackup) { b.Spec.Deadline = &metav1.Duration{Duration: 1e9} }, "deadline must be from 10s to 24h"),
	)

	It("keeps an EtcdBackup's spec as it was taken", func(ctx SpecContext) {
		b := &etcdv1alpha1.EtcdBackup{ObjectMeta: metav1.ObjectMeta{Namespace: newNamespace(ctx), Name: "b"},
			Spec: etcdv1alpha1.EtcdBackupSpec{ClusterName: "c", Destination: s3Destination()}}
		Expect(k8sClient.Create(ctx, b)).To(Succeed())
		Expect(b.Spec.DeletionPolicy).To(Equal(etcdv1alpha1.BackupRetain))
		b.Spec.ClusterName = "other"
		expectInvalid(k8sClient.Update(ctx, b), "spec is immutable")
	})

	DescribeTable("refuses a bad EtcdBackupSchedule with what to change",
		func(ctx SpecContext, mutate func(*etcdv1alpha1.EtcdBackupSchedule), msg string) {
			s := &etcdv1alpha1.EtcdBackupSchedule{ObjectMeta: metav1.ObjectMeta{Namespace: newNamespace(ctx), Name: "s"},
				Spec: etcdv1alpha1.EtcdBackupScheduleSpec{ClusterName: "c", Schedule: "0 * * * *", Destination: claimDestination()}}
			mutate(s)
			expectInvalid(k8sClient.Create(ctx, s), msg)
		},
		Entry("a cron expression with six fields", func(s *etcdv1alpha1.EtcdBackupSchedule) { s.Spec.Schedule = "0 0 * * * *" }, "must be a 5-field cron expression"),
		Entry("a cron macro", func(s *etcdv1alpha1.EtcdBackupSchedule) { s.Spec.Schedule = "@daily" }, "must be a 5-field cron expression"),
		Entry("retention below 1", func(s *etcdv1alpha1.EtcdBackupSchedule) { s.Spec.Retention.KeepLast = -1 }, "keepLast"),
		Entry("no destination", func(s *etcdv1alpha1.EtcdBackupSchedule) { s.Spec.Destination = etcdv1alpha1.BackupDestination{} },
			"destination needs exactly one of persistentVolumeClaim and s3"),
	)

	It("defaults a schedule's retention to the last 7", func(ctx SpecContext) {
		s := &etcdv1alpha1.EtcdBackupSchedule{ObjectMeta: metav1.ObjectMeta{Namespace: newNamespace(ctx), Name: "s"},
			Spec: etcdv1alpha1.EtcdBackupScheduleSpec{ClusterName: "c", Schedule: "0 * * * *", Destination: claimDestination()}}
		Expect(k8sClient.Create(ctx, s)).To(Succeed())
		Expect(s.Spec.Retention.KeepLast).To(Equal(int32(7)))
	})

	It("refuses spec.bootstrap added to, changed on or removed from an existing cluster", func(ctx SpecContext) {
		// A merge patch without a resourceVersion: the operator's own
		// writes to the object cannot make the request conflict.
		patch := func(ec *etcdv1alpha1.EtcdCluster, change func(*etcdv1alpha1.EtcdCluster)) error {
			orig := fetch(ctx, ec)
			changed := orig.DeepCopy()
			change(changed)
			return k8sClient.Patch(ctx, changed, client.MergeFrom(orig))
		}
		msg := "bootstrap can only be set when the cluster is created"
		ec := newCluster(newNamespace(ctx), "plain", 1)
		Expect(create(ctx, ec)).To(Succeed())
		expectInvalid(patch(ec, func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Bootstrap = &etcdv1alpha1.BootstrapSpec{Backup: etcdv1alpha1.BootstrapBackup{Name: "nightly"}}
		}), msg)

		restored := newCluster(ec.Namespace, "restored", 1)
		restored.Spec.Bootstrap = &etcdv1alpha1.BootstrapSpec{Backup: etcdv1alpha1.BootstrapBackup{Name: "nightly"}}
		Expect(create(ctx, restored)).To(Succeed())
		expectInvalid(patch(restored, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Bootstrap.Backup.Name = "other" }), msg)
		expectInvalid(patch(restored, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Bootstrap = nil }), msg)
	})
})
