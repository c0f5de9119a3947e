package controller

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/chart"
)

// memberPods are the cluster's pods in the cache, by name.
func (r *EtcdClusterReconciler) memberPods(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) (map[string]*corev1.Pod, error) {
	pods := &corev1.PodList{}
	if err := r.Client.List(ctx, pods, client.InNamespace(ec.Namespace), managedSelector(ec)); err != nil {
		return nil, err
	}
	out := make(map[string]*corev1.Pod, len(pods.Items))
	for i := range pods.Items {
		out[pods.Items[i].Name] = &pods.Items[i]
	}
	return out, nil
}

// managedSelector selects the objects the chart rendered for ec.
func managedSelector(ec *etcdv1alpha1.EtcdCluster) client.MatchingLabels {
	selector := client.MatchingLabels(selectorLabels(ec))
	selector["app.kubernetes.io/managed-by"] = chart.ManagedBy
	return selector
}

// dataUIDs maps each member pod to the UID of what holds its data now:
// the pod itself for EmptyDir storage, its claim otherwise.
func (r *EtcdClusterReconciler) dataUIDs(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, pods map[string]*corev1.Pod) (map[string]string, error) {
	out := map[string]string{}
	if ec.Spec.Storage.Type == etcdv1alpha1.StorageEmptyDir {
		for name, p := range pods {
			if p.DeletionTimestamp.IsZero() {
				out[name] = string(p.UID)
			}
		}
		return out, nil
	}
	claims := &corev1.PersistentVolumeClaimList{}
	if err := r.Client.List(ctx, claims, client.InNamespace(ec.Namespace), managedSelector(ec)); err != nil {
		return nil, err
	}
	for _, c := range claims.Items {
		// The StatefulSet names a member's claim data-<pod>.
		if pod, ok := strings.CutPrefix(c.Name, "data-"); ok && c.DeletionTimestamp.IsZero() {
			out[pod] = string(c.UID)
		}
	}
	return out, nil
}

// dataLost names the members whose data now lives on something other than
// what held it when they were last healthy.
func dataLost(ec *etcdv1alpha1.EtcdCluster, now map[string]string) map[string]bool {
	lost := map[string]bool{}
	for _, m := range ec.Status.Members {
		if uid, ok := now[m.Name]; ok && m.DataUID != "" && uid != m.DataUID {
			lost[m.Name] = true
		}
	}
	return lost
}
