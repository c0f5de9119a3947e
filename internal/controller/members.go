package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/membership"
)

// execute carries out step's etcd change, then gives the member's pod a
// fresh start where the step asks for one. Each call is bounded by the
// call timeout; an error leaves the step to the next reconcile.
func (r *EtcdClusterReconciler) execute(ctx context.Context, p *pass, step membership.Step) error {
	if step.Nudge && p.client != nil {
		if err := p.client.Nudge(ctx); err != nil {
			logf.FromContext(ctx).V(1).Info("etcd not nudged for a learner", "error", err.Error())
		}
	}
	if step.Action == membership.ActionNone {
		return nil
	}
	start := time.Now()
	err := r.changeMembership(ctx, p, step)
	if changesEtcd(step.Action) {
		r.Metrics.MembershipChange(client.ObjectKeyFromObject(p.ec), string(step.Action), time.Since(start), err)
	}
	if err != nil {
		var half removedNotReadded
		if errors.As(err, &half) {
			// The removal is done and cannot be undone: say so now.
			r.Recorder.Eventf(p.ec, nil, corev1.EventTypeNormal, string(membership.ActionRemove), "Membership",
				"Removed member %s, whose data is gone; adding it back as a learner is retried: %v", step.Target, half.err)
		}
		return fmt.Errorf("%s %s: %w", step.Action, step.Target, err)
	}
	if err := r.restart(ctx, p, step); err != nil {
		return fmt.Errorf("%s %s: %w", step.Action, step.Target, err)
	}
	if step.Action == membership.ActionPruneClaim {
		return nil // a cleanup, logged by deleteClaim
	}
	r.Recorder.Eventf(p.ec, nil, corev1.EventTypeNormal, string(step.Action), "Membership", "%s member %s", step.Action, step.Target)
	logf.FromContext(ctx).Info("membership step done", "action", step.Action, "member", step.Target,
		"restartPod", step.RestartPod, "deleteClaim", step.DeleteClaim)
	return nil
}

// changesEtcd is true for the actions that change etcd's member list or
// its leader.
func changesEtcd(a membership.Action) bool {
	return a != membership.ActionNone && a != membership.ActionReset && a != membership.ActionPruneClaim
}

// changeMembership makes step's change in etcd.
func (r *EtcdClusterReconciler) changeMembership(ctx context.Context, p *pass, step membership.Step) error {
	if step.Action == membership.ActionReset || step.Action == membership.ActionPruneClaim {
		return nil // nothing changes in etcd
	}
	c := p.client
	if c == nil {
		return errors.New("etcd did not answer")
	}
	switch step.Action {
	case membership.ActionAddLearner:
		return c.AddLearner(ctx, step.PeerURL)
	case membership.ActionPromote:
		return c.Promote(ctx, step.TargetID)
	case membership.ActionMoveLeader:
		return c.MoveLeader(ctx, r.leaderURL(p), step.TransferTo)
	case membership.ActionRemove:
		return c.Remove(ctx, step.TargetID)
	case membership.ActionReplace:
		return replace(ctx, c, step)
	}
	return fmt.Errorf("unknown action %q", step.Action)
}

// replace removes the member that lost its data and adds it back as a
// learner. A failure between the calls is finished by the plan on the
// next pass: a pod without a member is added back, and restarted.
func replace(ctx context.Context, c etcd.Client, step membership.Step) error {
	if err := c.Remove(ctx, step.TargetID); err != nil {
		return err
	}
	if err := c.AddLearner(ctx, step.PeerURL); err != nil {
		return removedNotReadded{err}
	}
	return nil
}

// removedNotReadded is a Replace cut short after its removal: etcd refused
// the add that follows.
type removedNotReadded struct{ err error }

func (e removedNotReadded) Error() string { return "removed, not added back yet: " + e.err.Error() }
func (e removedNotReadded) Unwrap() error { return e.err }

// restart deletes the claim and the pod of step's target when the step
// says so. Whatever they hold then is no member's usable data (the plan
// only asks after etcd's member for the pod changed or refused that
// data), so deleting them by name is safe; the StatefulSet recreates both.
func (r *EtcdClusterReconciler) restart(ctx context.Context, p *pass, step membership.Step) error {
	if claim, ok := p.claims[step.Target]; ok && step.DeleteClaim {
		// The claim goes once its pod has: the StatefulSet waits for that
		// before it creates the pod again, on a new claim.
		if err := r.deleteClaim(ctx, claim, claimPurpose(step)); err != nil {
			return err
		}
	}
	if !step.RestartPod {
		return nil
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: p.ec.Namespace, Name: step.Target}}
	return client.IgnoreNotFound(r.Client.Delete(ctx, pod))
}

func claimPurpose(step membership.Step) string {
	if step.Action == membership.ActionPruneClaim {
		return "the claim of a removed member"
	}
	return "a claim holding a removed member's data"
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

// leaderURL is where the operator reaches etcd's leader, "" when there is none.
func (r *EtcdClusterReconciler) leaderURL(p *pass) string {
	for _, m := range p.cluster.Members {
		if m.ID == p.cluster.LeaderID {
			return r.memberURL(p, p.namer.Name(m))
		}
	}
	return ""
}
