//go:build e2e

package e2e

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

var _ = Describe("Deleting an EtcdCluster", Label("deletion"), func() {
	DescribeTable("removes the StatefulSet, Services, ConfigMap and pods, and applies the claims' reclaim policy", Label("claims"),
		func(ctx SpecContext, policy etcdv1alpha1.ReclaimPolicy, keepsClaims bool) {
			ns := fw.NewNamespace(ctx, "delete")
			ec := newEtcdCluster(ns, "gone", 3, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Storage.ReclaimPolicy = policy })
			t := createCluster(ctx, ec)
			got, err := fw.FetchCluster(ctx, ec)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Spec.Storage.ReclaimPolicy).To(Equal(map[bool]etcdv1alpha1.ReclaimPolicy{true: etcdv1alpha1.ReclaimRetain, false: etcdv1alpha1.ReclaimDelete}[keepsClaims]))
			st := fw.ExpectHealthy(ctx, t)
			claims := map[string]types.UID{}
			for _, c := range claimsOf(ctx, t) {
				claims[c.Name] = c.UID
			}
			Expect(claims).To(HaveLen(3))

			Expect(k8s.Delete(ctx, got)).To(Succeed())
			waitForGone(ctx, got)
			names := resources.For(ec, "")
			for _, obj := range []client.Object{
				&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: names.StatefulSet()}},
				&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: names.ClientService()}},
				&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: names.PeerService()}},
				&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: names.ConfigMap()}},
			} {
				waitForGone(ctx, obj)
			}
			expectNoPods(ctx, t)
			By("checking that etcd itself is gone: no former member answers")
			Eventually(ctx, func() error { return fw.Dialer.AllSilent(ctx, st) }).
				WithTimeout(30 * time.Second).WithPolling(pollInterval).Should(Succeed())

			if !keepsClaims {
				Eventually(ctx, func() ([]corev1.PersistentVolumeClaim, error) { return allClaims(ctx, t) }).
					WithTimeout(goneBound).WithPolling(250*time.Millisecond).Should(BeEmpty(), "claims")
				return
			}
			Consistently(ctx, func() map[string]types.UID {
				now := map[string]types.UID{}
				for _, c := range claimsOf(ctx, t) {
					if c.Status.Phase == corev1.ClaimBound {
						now[c.Name] = c.UID
					}
				}
				return now
			}).WithTimeout(5*time.Second).WithPolling(500*time.Millisecond).Should(Equal(claims), "the same claims, bound, stay")
		},
		Entry("with the default reclaimPolicy, Delete, the claims go too", etcdv1alpha1.ReclaimPolicy(""), false, SpecTimeout(specTimeout)),
		Entry("with reclaimPolicy Retain the claims stay", etcdv1alpha1.ReclaimRetain, true, SpecTimeout(specTimeout)),
	)
})

// allClaims lists t's claims, including those being deleted.
func allClaims(ctx context.Context, t target) ([]corev1.PersistentVolumeClaim, error) {
	list := &corev1.PersistentVolumeClaimList{}
	err := k8s.List(ctx, list, client.InNamespace(t.Namespace), t.PodLabels())
	return list.Items, err
}
