package backup

import (
	"fmt"
	"sort"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// Source says whether ec can give a snapshot now and from which member:
// a healthy voting member, a follower where there is one (the leader has
// the most work), the one least behind. ok is false with the reason and
// message to wait with.
func Source(ec *etcdv1alpha1.EtcdCluster) (member etcdv1alpha1.MemberStatus, reason, message string, ok bool) {
	if ec.Status.Phase == "" || ec.Status.Phase == etcdv1alpha1.PhaseCreating || len(ec.Status.Members) == 0 {
		return member, etcdv1alpha1.ReasonClusterNotReady, fmt.Sprintf("EtcdCluster %s is still being created", ec.Name), false
	}
	var voters, healthy []etcdv1alpha1.MemberStatus
	for _, m := range ec.Status.Members {
		if m.Learner {
			continue
		}
		voters = append(voters, m)
		if m.Healthy {
			healthy = append(healthy, m)
		}
	}
	if quorum := len(voters)/2 + 1; len(healthy) < quorum {
		return member, etcdv1alpha1.ReasonNoQuorum,
			fmt.Sprintf("EtcdCluster %s has %d healthy of %d voting members, below its quorum of %d: a snapshot now could be stale", ec.Name, len(healthy), len(voters), quorum), false
	}
	sort.Slice(healthy, func(i, j int) bool {
		a, b := healthy[i], healthy[j]
		if a.Leader != b.Leader {
			return !a.Leader
		}
		if a.RaftIndexLag != b.RaftIndexLag {
			return a.RaftIndexLag < b.RaftIndexLag
		}
		return a.Name < b.Name
	})
	return healthy[0], "", "", true
}
