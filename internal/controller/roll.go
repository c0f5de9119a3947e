package controller

import (
	"context"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/rollout"
)

// updateRevision is the StatefulSet's revision every pod should run, ""
// while the StatefulSet controller has not looked at its latest template.
func updateRevision(sts *appsv1.StatefulSet) string {
	if sts == nil || sts.Status.ObservedGeneration < sts.Generation {
		return ""
	}
	return sts.Status.UpdateRevision
}

// outdated is true for a pod on an older revision than rev. A pod without
// a revision label was not made by the StatefulSet controller: it is not
// counted (its revision is unknown).
func outdated(pod *corev1.Pod, rev string) bool {
	got, ok := pod.Labels[appsv1.ControllerRevisionHashLabelKey]
	return rev != "" && ok && got != rev
}

// rolloutPending is true while the StatefulSet has not seen its template
// or a pod runs an older revision. Read from the pods, not from the
// StatefulSet's currentRevision, which the OnDelete strategy leaves stale
// before Kubernetes 1.36 (kubernetes/kubernetes#73492).
func rolloutPending(p *pass) bool {
	if p.sts == nil {
		return false
	}
	if p.sts.Status.ObservedGeneration < p.sts.Generation {
		return true
	}
	return slices.ContainsFunc(rolloutInput(p).Pods, func(pod rollout.Pod) bool { return pod.Outdated })
}

// rolloutInput is the roll planner's view of the pass.
func rolloutInput(p *pass) rollout.Input {
	in := rollout.Input{Cluster: p.cluster, Size: int(p.ec.Spec.Size), Version: renderedCluster(p).Spec.Version,
		PodOf: func(m etcdstate.Member) string { return p.namer.Name(m) }}
	rev := updateRevision(p.sts)
	for i := range max(p.replicas, 0) {
		pod, ok := p.pods[p.names.Pod(i)]
		if !ok {
			continue
		}
		in.Pods = append(in.Pods, rollout.Pod{Name: pod.Name, Ordinal: int(i), Outdated: outdated(pod, rev),
			Ready: podReady(pod), Terminating: !pod.DeletionTimestamp.IsZero(), Failing: failing(pod)})
	}
	return in
}

// rolloutHalted says why the roll stopped at a member that fails on the
// new template, "" when it did not.
func rolloutHalted(p *pass) string {
	if updateRevision(p.sts) == "" {
		return ""
	}
	if a := rollout.Next(rolloutInput(p)); a.Kind == rollout.Halt {
		return a.Why
	}
	return ""
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// roll takes the ordered roll's next step, once the membership holds and
// the chart is applied. It returns the error of a step not taken, for the
// next pass to try again.
func (r *EtcdClusterReconciler) roll(ctx context.Context, p *pass) error {
	if updateRevision(p.sts) == "" || p.cluster == nil || p.client == nil || p.foreignID != "" {
		return nil
	}
	if p.upgrade.Refused && p.heldVersion == "" {
		// The template already carries the refused version: no pod moves
		// onto it.
		return nil
	}
	a := rollout.Next(rolloutInput(p))
	log := logf.FromContext(ctx)
	switch a.Kind {
	case rollout.Wait:
		log.V(1).Info("rolling update waits", "why", a.Why)
	case rollout.Halt:
		// Reported by the Progressing condition and its Event.
		log.V(1).Info("rolling update halted", "why", a.Why)
	case rollout.MoveLeader:
		if err := p.client.MoveLeader(ctx, r.leaderURL(p), a.To.ID); err != nil {
			return fmt.Errorf("moving leadership to %s before the leader restarts: %w", a.To.Name, err)
		}
		r.Recorder.Eventf(p.ec, nil, corev1.EventTypeNormal, etcdv1alpha1.ReasonLeaderMoved, "RollingUpdate",
			"moved leadership from %s to %s: %s", a.From.Name, a.To.Name, a.Why)
	case rollout.Restart:
		pod := p.pods[a.Pod]
		if err := r.Client.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("restarting %s: %w", a.Pod, err)
		}
		log.Info("rolling update: member restarted", "pod", a.Pod, "revision", updateRevision(p.sts))
		r.Recorder.Eventf(p.ec, nil, corev1.EventTypeNormal, etcdv1alpha1.ReasonRestartedMember, "RollingUpdate",
			"restarted %s onto revision %s: %s", a.Pod, updateRevision(p.sts), a.Why)
	}
	return nil
}
