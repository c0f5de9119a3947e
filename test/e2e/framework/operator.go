//go:build e2e || olm

package framework

import (
	"context"

	"github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// OperatorDeployment is the operator's Deployment, from config/default
	// or from the CSV.
	OperatorDeployment = "etcd-operator-controller-manager"
	// OperatorLease is the operator's leader-election lease (cmd/main.go
	// LeaderElectionID).
	OperatorLease = "etcd-operator.etcd.io"
)

// OperatorAvailable checks, within an Eventually, that the operator
// Deployment in ns runs its current pod template, available, with no
// other pod left.
func (f *Framework) OperatorAvailable(ctx context.Context, g gomega.Gomega, ns string) {
	d := &appsv1.Deployment{}
	g.Expect(f.K8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: OperatorDeployment}, d)).To(gomega.Succeed())
	g.Expect(d.Status.ObservedGeneration).To(gomega.Equal(d.Generation))
	g.Expect(d.Status.UpdatedReplicas).To(gomega.Equal(*d.Spec.Replicas))
	g.Expect(d.Status.AvailableReplicas).To(gomega.Equal(*d.Spec.Replicas))
	g.Expect(d.Status.Replicas).To(gomega.Equal(*d.Spec.Replicas), "an old operator pod is still there")
}

// OperatorLeads checks, within an Eventually, that the operator in ns
// has a single pod and that it holds the leader-election lease; it
// returns that pod.
func (f *Framework) OperatorLeads(ctx context.Context, g gomega.Gomega, ns string) corev1.Pod {
	pods := &corev1.PodList{}
	g.Expect(f.K8s.List(ctx, pods, client.InNamespace(ns), OperatorPodLabels)).To(gomega.Succeed())
	g.Expect(pods.Items).To(gomega.HaveLen(1), "one operator pod")
	lease := &coordinationv1.Lease{}
	g.Expect(f.K8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: OperatorLease}, lease)).To(gomega.Succeed())
	g.Expect(lease.Spec.HolderIdentity).NotTo(gomega.BeNil())
	g.Expect(*lease.Spec.HolderIdentity).To(gomega.HavePrefix(pods.Items[0].Name+"_"), "lease holder")
	return pods.Items[0]
}
