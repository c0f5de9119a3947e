package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// Finalizer lets the operator close its etcd client and apply the claims'
// reclaim policy before an EtcdCluster goes.
const Finalizer = "etcd.etcd.io/finalizer"

// finalize applies the claims' reclaim policy and releases what the
// operator holds for the cluster; owned objects go by garbage collection.
// Only claims the operator labeled as its own are deleted: a Helm release
// of the same chart and instance name keeps its claims.
func (r *EtcdClusterReconciler) finalize(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) error {
	if !controllerutil.ContainsFinalizer(ec, Finalizer) {
		return nil
	}
	if ec.Spec.Storage.ReclaimPolicy != etcdv1alpha1.ReclaimRetain {
		names := resources.For(ec, r.ClusterDomain)
		err := r.Client.DeleteAllOf(ctx, &corev1.PersistentVolumeClaim{},
			client.InNamespace(ec.Namespace), client.MatchingLabels(names.ManagedLabels()))
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting claims: %w", err)
		}
	}
	r.forget(client.ObjectKeyFromObject(ec))
	orig := ec.DeepCopy()
	controllerutil.RemoveFinalizer(ec, Finalizer)
	if err := r.Client.Patch(ctx, ec, client.MergeFrom(orig)); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

// addFinalizer makes sure the finalizer is set before anything is created.
func (r *EtcdClusterReconciler) addFinalizer(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) error {
	if controllerutil.ContainsFinalizer(ec, Finalizer) {
		return nil
	}
	orig := ec.DeepCopy()
	controllerutil.AddFinalizer(ec, Finalizer)
	return r.Client.Patch(ctx, ec, client.MergeFrom(orig))
}
