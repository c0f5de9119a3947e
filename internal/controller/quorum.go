package controller

import (
	"sync"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
)

// quorumWatch remembers since when each cluster has been seen without a
// quorum, so that a leader election is not reported as a lost quorum. It is
// memory only: after a restart the operator waits out one grace again,
// unless status already reports the loss.
type quorumWatch struct {
	since sync.Map // types.NamespacedName -> time.Time
}

// missingFor is how long ec has been without a quorum as of now; 0 while it
// has one.
func (w *quorumWatch) missingFor(ec *etcdv1alpha1.EtcdCluster, o lifecycle.Observation, now time.Time) time.Duration {
	key := client.ObjectKeyFromObject(ec)
	if !o.Formed || o.Paused || o.QuorumHealthy() {
		w.since.Delete(key)
		return 0
	}
	if reportedQuorumLost(ec) {
		// Already reported: a restarted operator keeps saying so.
		return lifecycle.QuorumLossGrace
	}
	since, _ := w.since.LoadOrStore(key, now)
	return now.Sub(since.(time.Time))
}

func (w *quorumWatch) forget(key types.NamespacedName) { w.since.Delete(key) }

func reportedQuorumLost(ec *etcdv1alpha1.EtcdCluster) bool {
	c := apimeta.FindStatusCondition(ec.Status.Conditions, etcdv1alpha1.ConditionAvailable)
	return ec.Status.Phase == etcdv1alpha1.PhaseFailed && c != nil && c.Reason == etcdv1alpha1.ReasonQuorumLost
}
