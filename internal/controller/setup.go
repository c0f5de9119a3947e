package controller

import (
	"strings"

	libhandler "github.com/operator-framework/operator-lib/handler"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// owned maps an object to the EtcdCluster that controls it.
func owned(mgr ctrl.Manager) handler.EventHandler {
	return handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &etcdv1alpha1.EtcdCluster{}, handler.OnlyControllerOwner())
}

// SetupWithManager registers the controller. The EtcdCluster watch (with
// operator-lib's handler, which also exports per-resource metrics) ignores
// status-only updates, the controller's own writes; owned objects trigger a
// reconcile on any change, which is how drift is corrected.
func (r *EtcdClusterReconciler) SetupWithManager(mgr ctrl.Manager, workers int) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("etcdcluster").
		Watches(&etcdv1alpha1.EtcdCluster{},
			&libhandler.InstrumentedEnqueueRequestForObject[client.Object]{},
			builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Watches(&appsv1.StatefulSet{}, owned(mgr)).
		Watches(&corev1.Service{}, owned(mgr)).
		Watches(&corev1.ConfigMap{}, owned(mgr)).
		Watches(&corev1.Secret{}, owned(mgr)).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Complete(r)
}

// CacheOptions watches only the given namespaces and, of the kinds the chart
// renders, only objects the operator manages: the cache stays small in
// clusters full of other StatefulSets, Services and ConfigMaps.
func CacheOptions(namespaces string) cache.Options {
	managed := labels.SelectorFromSet(labels.Set{"app.kubernetes.io/managed-by": resources.ManagedBy})
	opts := cache.Options{
		// Nothing reads managedFields, the largest part of most cached
		// objects; an update without them leaves the server's unchanged.
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&appsv1.StatefulSet{}:           {Label: managed},
			&corev1.Service{}:               {Label: managed},
			&corev1.ConfigMap{}:             {Label: managed},
			&corev1.Pod{}:                   {Label: managed},
			&corev1.PersistentVolumeClaim{}: {Label: managed},
			// Backup and deletion Jobs of EtcdBackups.
			&batchv1.Job{}: {Label: managed},
			// Only the certificate Secrets the operator wrote: never the
			// namespace's other Secrets, in memory or through a watch.
			&corev1.Secret{}: {Label: managed},
		}}
	if namespaces != "" {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range strings.Split(namespaces, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				opts.DefaultNamespaces[ns] = cache.Config{}
			}
		}
	}
	return opts
}
