//go:build e2e

package e2e

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

var _ = Describe("Admission by the real API server", Label("admission"), func() {
	DescribeTable("refuses an invalid EtcdCluster with a message that says what to change", Label("smoke"),
		func(ctx SpecContext, build func(ns string) client.Object, want string) {
			ns := fw.NewNamespace(ctx, "invalid")
			obj := build(ns)
			err := k8s.Create(ctx, obj)
			Expect(err).To(HaveOccurred())
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got: %v", err)
			Expect(err.Error()).To(ContainSubstring(want))
			Expect(apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(obj), &etcdv1alpha1.EtcdCluster{}))).To(BeTrue(), "nothing was stored")
		},
		Entry("size 0, sent as raw JSON (the typed client's omitempty would drop it)", rawEtcdCluster(`{"size": 0}`),
			"size must be from 1 to 9 members", SpecTimeout(specTimeout)),
		Entry("size 10", typedEtcdCluster(func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = 10 }),
			"size must be from 1 to 9 members", SpecTimeout(specTimeout)),
		Entry(`version "latest"`, typedEtcdCluster(func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = "latest" }),
			"version latest is not a supported etcd release: use 3.5.x, 3.6.x or 3.7.x", SpecTimeout(specTimeout)),
		Entry("election timeout 400 ms with heartbeat 100 ms", typedEtcdCluster(func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Tuning.HeartbeatIntervalMillis, ec.Spec.Tuning.ElectionTimeoutMillis = 100, 400
		}), "tuning.electionTimeoutMillis must be at least 5 x tuning.heartbeatIntervalMillis", SpecTimeout(specTimeout)),
	)

	DescribeTable("refuses changes a running cluster cannot take", Label("smoke"),
		func(ctx SpecContext, change func(*etcdv1alpha1.EtcdCluster), want string) {
			ns := fw.NewNamespace(ctx, "immutable")
			// Paused: only the API server is under test here.
			ec := newEtcdCluster(ns, "immutable", 1, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Paused = true })
			Expect(k8s.Create(ctx, ec)).To(Succeed())
			before, err := fw.FetchCluster(ctx, ec)
			Expect(err).NotTo(HaveOccurred())

			err = updateCluster(ctx, ec, change)
			Expect(err).To(HaveOccurred())
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got: %v", err)
			Expect(err.Error()).To(ContainSubstring(want))
			after, err := fw.FetchCluster(ctx, ec)
			Expect(err).NotTo(HaveOccurred())
			Expect(after.Spec).To(Equal(before.Spec), "the stored spec is unchanged")
		},
		Entry("a storage size change", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Storage.Size = new(resource.MustParse("2Gi")) },
			"storage.type, storage.size and storage.storageClassName are immutable", SpecTimeout(specTimeout)),
		Entry("a downgrade", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = "3.6.16" },
			"etcd does not support downgrades: version cannot go from 3.7.3 to 3.6.16", SpecTimeout(specTimeout)),
	)
})

// typedEtcdCluster builds a 3-member EtcdCluster named "invalid", changed by mutate.
func typedEtcdCluster(mutate func(*etcdv1alpha1.EtcdCluster)) func(ns string) client.Object {
	return func(ns string) client.Object {
		return newEtcdCluster(ns, "invalid", 3, mutate)
	}
}

// rawEtcdCluster builds an EtcdCluster named "invalid" from a raw JSON spec,
// sent as it is.
func rawEtcdCluster(spec string) func(ns string) client.Object {
	return func(ns string) client.Object {
		u := &unstructured.Unstructured{}
		Expect(u.UnmarshalJSON(fmt.Appendf(nil,
			`{"apiVersion": "etcd.etcd.io/v1alpha1", "kind": "EtcdCluster", "metadata": {"name": "invalid", "namespace": %q}, "spec": %s}`,
			ns, spec))).To(Succeed())
		return u
	}
}
