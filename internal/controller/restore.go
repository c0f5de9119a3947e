package controller

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/backup"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
	"github.com/etcd-operator/etcd-operator/internal/values"
)

// restoreContainer is the chart's init container that restores a member.
const restoreContainer = "restore"

// +kubebuilder:rbac:groups=etcd.etcd.io,resources=etcdbackups,verbs=get;list;watch

// restoreSource fixes what a cluster with spec.bootstrap restores: read
// once from its EtcdBackup, before the first render, and kept in
// status.restore from then on, so that the members' pods never change with
// the EtcdBackup (or its deletion). Until the backup has succeeded
// nothing is rendered.
func (r *EtcdClusterReconciler) restoreSource(ctx context.Context, p *pass) *lifecycle.Failure {
	bs := p.ec.Spec.Bootstrap
	if bs == nil {
		return nil
	}
	if r.AgentImage == "" {
		return &lifecycle.Failure{Reason: etcdv1alpha1.ReasonNoAgentImage,
			Message: "the operator does not know its own image, which restores the members: set --agent-image or $AGENT_IMAGE"}
	}
	if p.ec.Status.Restore != nil {
		p.restore = p.ec.Status.Restore
		return restoreFailed(p.pods)
	}
	if p.formed {
		// Formed without a recorded source (status lost): never restore
		// over a running cluster's data.
		return nil
	}
	b := &etcdv1alpha1.EtcdBackup{}
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: p.ec.Namespace, Name: bs.Backup.Name}, b)
	switch {
	case apierrors.IsNotFound(err):
		return &lifecycle.Failure{Reason: etcdv1alpha1.ReasonBackupNotReady, Message: fmt.Sprintf("EtcdBackup %s does not exist", bs.Backup.Name)}
	case err != nil:
		return &lifecycle.Failure{Reason: etcdv1alpha1.ReasonBackupNotReady, Message: err.Error()}
	case b.Status.Phase != etcdv1alpha1.BackupSucceeded:
		return &lifecycle.Failure{Reason: etcdv1alpha1.ReasonBackupNotReady,
			Message: fmt.Sprintf("EtcdBackup %s is %s, not Succeeded: the cluster starts once it has succeeded", bs.Backup.Name, phaseOr(b.Status.Phase))}
	}
	p.restore = backup.RestoreSource(b)
	return nil
}

func phaseOr(p etcdv1alpha1.BackupPhase) string {
	if p == "" {
		return "new"
	}
	return string(p)
}

// restoreFailed is a member whose restore was refused (the object's hash
// does not match, the store refused it): reported with the agent's words;
// kubelet retries the init container, and no member starts on bad data.
func restoreFailed(pods map[string]*corev1.Pod) *lifecycle.Failure {
	for _, name := range sortedPodNames(pods) {
		for _, cs := range pods[name].Status.InitContainerStatuses {
			t := cs.State.Terminated
			if t == nil {
				t = cs.LastTerminationState.Terminated
			}
			if cs.Name != restoreContainer || t == nil || t.ExitCode == 0 {
				continue
			}
			msg := t.Message
			if res, err := backup.Decode(t.Message); err == nil && res.Message != "" {
				msg = res.Message
			}
			return &lifecycle.Failure{Reason: etcdv1alpha1.ReasonRestoreFailed, Message: name + ": " + msg}
		}
	}
	return nil
}

// restoreValues is the chart's restore block of p, nil without a restore.
func (r *EtcdClusterReconciler) restoreValues(p *pass) map[string]any {
	if p.restore == nil {
		return nil
	}
	bump := etcdv1alpha1.DefaultBumpRevision
	if b := p.ec.Spec.Bootstrap; b != nil && b.Backup.BumpRevision != nil {
		bump = *b.Backup.BumpRevision
	}
	return values.Restore(p.restore, r.AgentImage, bump)
}

func sortedPodNames(pods map[string]*corev1.Pod) []string {
	names := make([]string, 0, len(pods))
	for n := range pods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
