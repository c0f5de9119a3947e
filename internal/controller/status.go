package controller

import (
	"context"
	"fmt"
	"sort"

	"github.com/Masterminds/semver/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
	"github.com/etcd-operator/etcd-operator/internal/membership"
)

// observe condenses the StatefulSet and etcd's answer into an Observation.
func observe(ec *etcdv1alpha1.EtcdCluster, namer membership.Namer, sts *appsv1.StatefulSet, cluster *etcd.Cluster) lifecycle.Observation {
	o := lifecycle.Observation{Size: ec.Spec.Size, Paused: ec.Spec.Paused}
	if sts != nil {
		if sts.Spec.Replicas != nil {
			o.Replicas = *sts.Spec.Replicas
		}
		o.PodsReady = sts.Status.ReadyReplicas
		o.RolloutPending = sts.Status.ObservedGeneration < sts.Generation ||
			(sts.Status.UpdateRevision != "" && sts.Status.CurrentRevision != sts.Status.UpdateRevision)
	}
	if cluster == nil {
		return o
	}
	o.Reached = true
	for _, m := range cluster.Members {
		if m.Learner {
			o.Learners++
			continue
		}
		o.Voters++
		if m.Healthy() {
			o.HealthyVoters++
		} else {
			o.Unhealthy = append(o.Unhealthy, namer.Name(m))
		}
	}
	return o
}

// statusMemberNames are the members last reported, for when etcd cannot be asked.
func statusMemberNames(ec *etcdv1alpha1.EtcdCluster) []string {
	names := make([]string, 0, len(ec.Status.Members))
	for _, m := range ec.Status.Members {
		names = append(names, m.Name)
	}
	return names
}

// writeStatus computes the new status and writes it only when it differs,
// so that a reconcile that changed nothing writes nothing. It records an
// Event for each phase transition.
func (r *EtcdClusterReconciler) writeStatus(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, namer membership.Namer, o lifecycle.Observation, cluster *etcd.Cluster, data map[string]string) error {
	orig := ec.DeepCopy()
	st := &ec.Status
	prevPhase := st.Phase
	st.Phase = lifecycle.Next(prevPhase, o)
	st.ObservedGeneration = ec.Generation
	st.ClientEndpoint = clientEndpoint(ec, r.ClusterDomain)
	if cluster != nil {
		st.ClusterID = etcd.HexID(cluster.ID)
		st.Members = memberStatuses(namer, cluster, orig.Status.Members, data)
		st.CurrentVersion = lowestVersion(cluster)
		st.ReadyMembers = min(o.HealthyVoters, o.PodsReady)
	} else {
		// etcd did not answer: keep the last member list but mark it unhealthy.
		for i := range st.Members {
			st.Members[i].Healthy = false
			st.Members[i].Leader = false
		}
		st.ReadyMembers = 0
	}
	for _, c := range lifecycle.Conditions(st.Phase, o) {
		c.ObservedGeneration = ec.Generation
		meta.SetStatusCondition(&st.Conditions, c)
	}
	if equality.Semantic.DeepEqual(orig.Status, ec.Status) {
		return nil
	}
	// Optimistic lock: a status computed from a stale cache must not
	// overwrite a newer one (nor repeat its transition Event).
	if err := r.Client.Status().Patch(ctx, ec, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return err
	}
	if prevPhase != st.Phase {
		eventType := corev1.EventTypeNormal
		if st.Phase == etcdv1alpha1.PhaseFailed {
			eventType = corev1.EventTypeWarning
		}
		reason, note := transitionNote(prevPhase, st.Phase, o)
		r.Recorder.Eventf(ec, nil, eventType, reason, "PhaseTransition", "%s", note)
	}
	return nil
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
func memberStatuses(namer membership.Namer, c *etcd.Cluster, prev []etcdv1alpha1.MemberStatus, data map[string]string) []etcdv1alpha1.MemberStatus {
	prevData := map[string]string{}
	for _, m := range prev {
		prevData[m.ID] = m.DataUID
	}
	out := make([]etcdv1alpha1.MemberStatus, 0, len(c.Members))
	for _, m := range c.Members {
		ms := etcdv1alpha1.MemberStatus{
			Name:         namer.Name(m),
			ID:           etcd.HexID(m.ID),
			Learner:      m.Learner,
			Leader:       m.Leader,
			Healthy:      m.Healthy(),
			Version:      m.Version,
			DBSizeBytes:  m.DBSize,
			RaftIndexLag: int64(c.RaftLag(m)),
			Errors:       m.Errors,
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
func lowestVersion(c *etcd.Cluster) string {
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
