package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/membership"
	"github.com/etcd-operator/etcd-operator/internal/resources"
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
	selector["app.kubernetes.io/managed-by"] = resources.ManagedBy
	return selector
}

// memberClaims are the cluster's claims in the cache, by the pod they
// serve (the StatefulSet names a member's claim data-<pod>); none for
// EmptyDir storage.
func (r *EtcdClusterReconciler) memberClaims(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) (map[string]*corev1.PersistentVolumeClaim, error) {
	out := map[string]*corev1.PersistentVolumeClaim{}
	if ec.Spec.Storage.Type == etcdv1alpha1.StorageEmptyDir {
		return out, nil
	}
	claims := &corev1.PersistentVolumeClaimList{}
	if err := r.Client.List(ctx, claims, client.InNamespace(ec.Namespace), managedSelector(ec)); err != nil {
		return nil, err
	}
	for i := range claims.Items {
		if pod, ok := strings.CutPrefix(claims.Items[i].Name, "data-"); ok {
			out[pod] = &claims.Items[i]
		}
	}
	return out, nil
}

// dataUIDs maps each member pod to the UID of what holds its data now:
// the pod itself for EmptyDir storage, its claim otherwise. A pod or claim
// being deleted still holds the data of the etcd that runs on it, which
// may even be a member that joined there after the deletion began.
func dataUIDs(ec *etcdv1alpha1.EtcdCluster, pods map[string]*corev1.Pod, claims map[string]*corev1.PersistentVolumeClaim) map[string]string {
	out := map[string]string{}
	if ec.Spec.Storage.Type == etcdv1alpha1.StorageEmptyDir {
		for name, p := range pods {
			out[name] = string(p.UID)
		}
		return out
	}
	for pod, c := range claims {
		out[pod] = string(c.UID)
	}
	return out
}

// lingering names the ordinals at or above replicas whose pod or claim
// still exists, terminating or not.
func lingering(ec *etcdv1alpha1.EtcdCluster, replicas int32, pods map[string]*corev1.Pod, claims map[string]*corev1.PersistentVolumeClaim) map[string]bool {
	out := map[string]bool{}
	for name := range pods {
		if membership.Ordinal(ec.Name, name) >= replicas {
			out[name] = true
		}
	}
	for name := range claims {
		if membership.Ordinal(ec.Name, name) >= replicas {
			out[name] = true
		}
	}
	return out
}

// pruneClaims deletes the claims above the StatefulSet's replicas that no
// etcd member owns: a removed member's data, which a later member of the
// same ordinal would otherwise start on (and etcd refuses: the member was
// removed). The StatefulSet's whenScaled: Delete policy usually gets there
// first, but not when a scale-up races the old pod's termination.
func (r *EtcdClusterReconciler) pruneClaims(ctx context.Context, p *pass, replicas int32) error {
	if p.cluster == nil || replicas < 0 {
		return nil // Without etcd's member list, nothing is known to be unowned.
	}
	members := map[string]bool{}
	for _, m := range p.cluster.Members {
		members[p.namer.Name(m)] = true
	}
	for pod, claim := range p.claims {
		if membership.Ordinal(p.ec.Name, pod) < replicas || members[pod] {
			continue
		}
		if err := r.deleteClaim(ctx, claim, "the claim of a removed member"); err != nil {
			return err
		}
	}
	return nil
}

// deleteClaim deletes claim, unless it is already going, only if it is
// still the object that was read (a claim recreated since holds new data).
func (r *EtcdClusterReconciler) deleteClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim, what string) error {
	if !claim.DeletionTimestamp.IsZero() {
		return nil
	}
	if err := r.Client.Delete(ctx, claim, client.Preconditions{UID: &claim.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting %s %s: %w", what, claim.Name, err)
	}
	logf.FromContext(ctx).Info("deleted "+what, "claim", claim.Name)
	return nil
}

// removedData names the pods whose etcd container stopped with status 0.
// etcd exits that way when its server stopped itself, which it does once
// told that the member its data belongs to was removed (rafthttp's
// errMemberRemoved), and every restart on that data repeats it. As PID 1
// it also exits 0 on SIGTERM (a liveness kill), so the plan acts on this
// only for a learner that never answered or a pod without a member:
// neither holds data the cluster needs.
func removedData(pods map[string]*corev1.Pod) map[string]bool {
	out := map[string]bool{}
	for name, p := range pods {
		if !p.DeletionTimestamp.IsZero() {
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name == etcdContainer && (exitedCleanly(cs.State) || exitedCleanly(cs.LastTerminationState)) {
				out[name] = true
			}
		}
	}
	return out
}

// etcdUp tells, for each pod whose etcd container has started at least
// once, how long ago the pod started (as of now).
func etcdUp(pods map[string]*corev1.Pod, now time.Time) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, p := range pods {
		if !p.DeletionTimestamp.IsZero() || p.Status.StartTime == nil {
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			started := cs.RestartCount > 0 || cs.State.Running != nil || cs.State.Terminated != nil
			if cs.Name == etcdContainer && started {
				out[name] = now.Sub(p.Status.StartTime.Time)
			}
		}
	}
	return out
}

// etcdContainer is the chart's name for the etcd container.
const etcdContainer = "etcd"

func exitedCleanly(s corev1.ContainerState) bool {
	return s.Terminated != nil && s.Terminated.ExitCode == 0
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
