package controller

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/Masterminds/semver/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
	"github.com/etcd-operator/etcd-operator/internal/membership"
)

// outcome is what the act phase did.
type outcome struct {
	// stepErr is the membership step's error, retried with backoff.
	stepErr error
	// failure is a render or apply failure; applyErr the error to return.
	failure  *lifecycle.Failure
	applyErr error
}

// failed is true for a pass whose act phase did not do what it decided.
func (o outcome) failed() bool { return o.stepErr != nil || o.applyErr != nil }

// Reasons of reconcile errors that are not a condition's reason.
const (
	reasonObserveFailed = "ObserveFailed"
	reasonStatusFailed  = "StatusUpdateFailed"
)

// failureReason is why the act phase of a pass failed, "" if it did not:
// the reason its condition shows.
func failureReason(o outcome) string {
	switch {
	case o.failure != nil:
		return o.failure.Reason
	case o.stepErr != nil:
		return etcdv1alpha1.ReasonMembershipStepFailed
	case o.applyErr != nil:
		return etcdv1alpha1.ReasonApplyFailed
	}
	return ""
}

// leaderChanged is true when before and after both name a leader, and not
// the same one.
func leaderChanged(before, after []etcdv1alpha1.MemberStatus) bool {
	was, is := leaderName(before), leaderName(after)
	return was != "" && is != "" && was != is
}

func leaderName(members []etcdv1alpha1.MemberStatus) string {
	for _, m := range members {
		if m.Leader {
			return m.Name
		}
	}
	return ""
}

// observation condenses the pass, the step and what acting on it gave into
// the one Observation that phase and conditions are computed from.
func observation(p *pass, step membership.Step, out outcome, quorumMissingFor func(lifecycle.Observation) time.Duration) lifecycle.Observation {
	o := lifecycle.Observation{Size: p.ec.Spec.Size, Paused: p.ec.Spec.Paused, Formed: p.formed, Failure: out.failure,
		ScaleBlocked: step.Blocked, ForeignClusterID: p.foreignID, UpgradeRefused: p.upgrade.Message}
	if out.stepErr != nil {
		o.StepError = out.stepErr.Error()
	}
	if p.sts != nil {
		o.Replicas = max(p.replicas, 0)
		o.PodsReady = p.sts.Status.ReadyReplicas
		o.RolloutPending = rolloutPending(p)
		o.RolloutHalted = rolloutHalted(p)
	}
	if p.cluster != nil {
		o.Reached = true
		o.Alarms = p.cluster.Alarms()
		for _, m := range p.cluster.Members {
			switch {
			case m.Learner:
				o.Learners++
			case m.Serving():
				o.Voters++
				o.HealthyVoters++
			default:
				o.Voters++
				o.Unhealthy = append(o.Unhealthy, p.namer.Name(m))
			}
		}
	}
	return lifecycle.DetectQuorumLoss(o, quorumMissingFor(o))
}

// nextStatus is the status the pass reports: pure. observedGeneration moves
// only with a pass whose act phase did not fail.
func nextStatus(p *pass, o lifecycle.Observation, out outcome) etcdv1alpha1.EtcdClusterStatus {
	ec := p.ec
	st := *ec.Status.DeepCopy()
	st.Phase = lifecycle.Next(ec.Status.Phase, o)
	if !out.failed() {
		st.ObservedGeneration = ec.Generation
	}
	st.ClientEndpoint = p.names.ClientURL()
	st.TLS = tlsStatus(p)
	if p.restore != nil {
		st.Restore = p.restore
	}
	if p.cluster != nil {
		st.ClusterID = etcdstate.HexID(p.cluster.ID)
		st.Members = memberStatuses(p.namer, p.cluster, ec.Status.Members, p.data)
		st.CurrentVersion = lowestVersion(p.cluster)
		st.ClusterVersion, st.ClusterVersionRaftIndex = p.clusterVersion, int64(p.clusterVersionIndex)
		st.ReadyMembers = min(o.HealthyVoters, o.PodsReady)
		st.Alarms = o.Alarms
	} else {
		// etcd did not answer: keep the last member list but mark it unhealthy.
		for i := range st.Members {
			st.Members[i].Healthy = false
			st.Members[i].Leader = false
		}
		st.ReadyMembers = 0
	}
	for _, c := range lifecycle.Conditions(st.Phase, o) {
		c.ObservedGeneration = st.ObservedGeneration
		meta.SetStatusCondition(&st.Conditions, c)
	}
	return st
}

// report writes the pass's status, only when it changed, so that a
// reconcile that changed nothing writes nothing. It records an Event for
// each phase transition and for a newly seen cluster ID mismatch.
func (r *EtcdClusterReconciler) report(ctx context.Context, p *pass, o lifecycle.Observation, out outcome) error {
	ec := p.ec
	orig := ec.DeepCopy()
	ec.Status = nextStatus(p, o, out)
	if equality.Semantic.DeepEqual(orig.Status, ec.Status) {
		return nil
	}
	// Optimistic lock: a status computed from a stale cache must not
	// overwrite a newer one (nor repeat its transition Event).
	if err := r.Client.Status().Patch(ctx, ec, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return err
	}
	if leaderChanged(orig.Status.Members, ec.Status.Members) {
		r.Metrics.LeaderChange(client.ObjectKeyFromObject(ec))
	}
	if prev, now := orig.Status.Phase, ec.Status.Phase; prev != now {
		eventType := corev1.EventTypeNormal
		if now == etcdv1alpha1.PhaseFailed {
			eventType = corev1.EventTypeWarning
		}
		reason, note := transitionNote(prev, now, o)
		r.Recorder.Eventf(ec, nil, eventType, reason, "PhaseTransition", "%s", note)
	}
	if reason := progressingReason(ec); (reason == etcdv1alpha1.ReasonUpgradeRefused || reason == etcdv1alpha1.ReasonRollingUpdateHalted) &&
		reason != progressingReason(orig) {
		r.Recorder.Eventf(ec, nil, corev1.EventTypeWarning, reason, "RollingUpdate", "%s", conditionMessage(ec, etcdv1alpha1.ConditionProgressing))
	}
	if len(o.Alarms) > 0 && !slices.Equal(orig.Status.Alarms, ec.Status.Alarms) {
		r.Recorder.Eventf(ec, nil, corev1.EventTypeWarning, etcdv1alpha1.ReasonAlarmRaised, "Inspect", "%s", degradedMessage(ec))
	}
	if o.ForeignClusterID != "" && !degradedFor(orig, etcdv1alpha1.ReasonClusterIDMismatch) {
		r.Recorder.Eventf(ec, nil, corev1.EventTypeWarning, etcdv1alpha1.ReasonClusterIDMismatch, "Inspect",
			"members answer as etcd cluster %s, status records %s: the cluster was bootstrapped anew; see the README's recovery section",
			o.ForeignClusterID, orig.Status.ClusterID)
	}
	return nil
}

// degradedMessage is the Degraded condition's message of ec.
func degradedMessage(ec *etcdv1alpha1.EtcdCluster) string {
	return conditionMessage(ec, etcdv1alpha1.ConditionDegraded)
}

func conditionMessage(ec *etcdv1alpha1.EtcdCluster, typ string) string {
	if c := meta.FindStatusCondition(ec.Status.Conditions, typ); c != nil {
		return c.Message
	}
	return ""
}

func progressingReason(ec *etcdv1alpha1.EtcdCluster) string {
	if c := meta.FindStatusCondition(ec.Status.Conditions, etcdv1alpha1.ConditionProgressing); c != nil {
		return c.Reason
	}
	return ""
}

func degradedFor(ec *etcdv1alpha1.EtcdCluster, reason string) bool {
	c := meta.FindStatusCondition(ec.Status.Conditions, etcdv1alpha1.ConditionDegraded)
	return c != nil && c.Status == "True" && c.Reason == reason
}

func transitionNote(from, to etcdv1alpha1.Phase, o lifecycle.Observation) (string, string) {
	reason := string(to)
	if from == "" {
		from = "New"
	}
	note := fmt.Sprintf("phase %s -> %s", from, to)
	if o.Failure != nil {
		reason = o.Failure.Reason
		note += ": " + o.Failure.Message
	}
	if len(note) > 1000 {
		note = note[:1000]
	}
	return reason, note
}

// memberStatuses reports etcd's members. A healthy member (voter or
// learner) records what holds its data now; an unhealthy one keeps what
// held it last time it was healthy, which is how a member that lost its
// data is told apart. The record is kept per member ID, not per pod: the
// new member that replaced one on the same pod has held no data yet, and
// must not be taken for the old one that lost it (and be replaced again)
// before it is first healthy.
func memberStatuses(namer membership.Namer, c *etcdstate.Cluster, prev []etcdv1alpha1.MemberStatus, data map[string]string) []etcdv1alpha1.MemberStatus {
	prevData := map[string]string{}
	for _, m := range prev {
		prevData[m.ID] = m.DataUID
	}
	out := make([]etcdv1alpha1.MemberStatus, 0, len(c.Members))
	for _, m := range c.Members {
		ms := etcdv1alpha1.MemberStatus{
			Name:             namer.Name(m),
			ID:               etcdstate.HexID(m.ID),
			Learner:          m.Learner,
			Leader:           m.Leader,
			Healthy:          m.Serving(),
			Version:          m.Version,
			DBSizeBytes:      m.DBSize,
			DBSizeInUseBytes: m.DBSizeInUse,
			RaftIndexLag:     int64(c.RaftLag(m)),
			Errors:           m.Errors,
		}
		ms.DataUID = prevData[ms.ID]
		if uid, ok := data[ms.Name]; ok && ms.Healthy {
			ms.DataUID = uid
		}
		if len(m.PeerURLs) > 0 {
			ms.PeerURL = m.PeerURLs[0]
		}
		if len(m.ClientURLs) > 0 {
			ms.ClientURL = m.ClientURLs[0]
		}
		out = append(out, ms)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lowestVersion is the version the cluster as a whole runs: the oldest member's.
func lowestVersion(c *etcdstate.Cluster) string {
	var lowest *semver.Version
	for _, m := range c.Members {
		v, err := semver.NewVersion(m.Version)
		if err != nil {
			continue
		}
		if lowest == nil || v.LessThan(lowest) {
			lowest = v
		}
	}
	if lowest == nil {
		return ""
	}
	return lowest.String()
}
