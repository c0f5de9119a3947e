//go:build e2e || olm

package framework

import (
	"fmt"
	"strings"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/types"
)

// MemberState is what one pod's etcd said to a Status call.
type MemberState struct {
	Pod    string
	PodUID types.UID
	IP     string
	// URL is the member's client URL at its pod IP.
	URL string
	// Ready is the pod's Ready condition.
	Ready  bool
	Status *clientv3.StatusResponse
	Err    error
}

// Endpoint is the member's client URL at its pod IP.
func (m MemberState) Endpoint() string { return m.URL }

// ID is the member ID the pod's etcd reports, 0 when it did not answer.
func (m MemberState) ID() uint64 {
	if m.Status == nil {
		return 0
	}
	return m.Status.Header.MemberId
}

// HealthyVoter is true when the pod's etcd answered as member id, a voter
// that knows a leader, without errors.
func (m MemberState) HealthyVoter(id uint64) bool {
	return m.Err == nil && m.Status != nil && m.ID() == id && !m.Status.IsLearner && m.Status.Leader != 0 && len(m.Status.Errors) == 0
}

// ClusterState is one look at every live pod of a cluster through clientv3.
type ClusterState struct {
	Members []MemberState
	List    []*pb.Member
	ListErr error
}

// Healthy is nil when n pods answer, none with errors or as a learner,
// all agree on one leader that is one of them, and etcd's member list
// holds exactly these n started voting members.
func (s ClusterState) Healthy(n int) error {
	if len(s.Members) != n {
		return fmt.Errorf("%d live member pods, want %d", len(s.Members), n)
	}
	ids, err := s.agreeOnLeader()
	if err != nil {
		return err
	}
	if s.ListErr != nil {
		return fmt.Errorf("member list: %w", s.ListErr)
	}
	if len(s.List) != n {
		return fmt.Errorf("etcd lists %d members, want %d", len(s.List), n)
	}
	for _, m := range s.List {
		switch {
		case m.Name == "":
			return fmt.Errorf("member %x is not started", m.ID)
		case m.IsLearner:
			return fmt.Errorf("member %s (%x) is a learner", m.Name, m.ID)
		case ids[m.ID] != m.Name:
			return fmt.Errorf("member %s (%x) is not what pod %q reports", m.Name, m.ID, ids[m.ID])
		}
	}
	return nil
}

// agreeOnLeader checks that every member answered, as a voter without
// errors, in one cluster with one leader among them; it returns the pods
// by member ID.
func (s ClusterState) agreeOnLeader() (map[uint64]string, error) {
	var leader, clusterID uint64
	ids := map[uint64]string{}
	leaders := 0
	for _, m := range s.Members {
		switch {
		case m.Err != nil:
			return nil, fmt.Errorf("%s: %w", m.Pod, m.Err)
		case len(m.Status.Errors) > 0:
			return nil, fmt.Errorf("%s reports errors: %s", m.Pod, strings.Join(m.Status.Errors, "; "))
		case m.Status.IsLearner:
			return nil, fmt.Errorf("%s is a learner", m.Pod)
		case m.Status.Leader == 0:
			return nil, fmt.Errorf("%s has no leader", m.Pod)
		case leader != 0 && m.Status.Leader != leader:
			return nil, fmt.Errorf("%s sees leader %x, another member sees %x", m.Pod, m.Status.Leader, leader)
		case clusterID != 0 && m.Status.Header.ClusterId != clusterID:
			return nil, fmt.Errorf("%s is in cluster %x, another member in %x", m.Pod, m.Status.Header.ClusterId, clusterID)
		}
		leader, clusterID = m.Status.Leader, m.Status.Header.ClusterId
		ids[m.ID()] = m.Pod
		if m.ID() == leader {
			leaders++
		}
	}
	if leaders != 1 {
		return nil, fmt.Errorf("%d members are the leader %x, want 1", leaders, leader)
	}
	return ids, nil
}

// Leader is the member that the first pod names as leader.
func (s ClusterState) Leader() MemberState {
	for _, m := range s.Members {
		if m.Status != nil {
			for _, l := range s.Members {
				if l.ID() == m.Status.Leader {
					return l
				}
			}
		}
	}
	return MemberState{}
}

// LeaderIDs are the leaders the members that answered name.
func (s ClusterState) LeaderIDs() map[uint64]bool {
	out := map[uint64]bool{}
	for _, m := range s.Members {
		if m.Status != nil && m.Status.Leader != 0 {
			out[m.Status.Leader] = true
		}
	}
	return out
}

// Followers are the members that are not the leader.
func (s ClusterState) Followers() []MemberState {
	leader := s.Leader().ID()
	var out []MemberState
	for _, m := range s.Members {
		if m.ID() != leader {
			out = append(out, m)
		}
	}
	return out
}

// Member is the member of pod, empty when pod is not a live pod.
func (s ClusterState) Member(pod string) MemberState {
	for _, m := range s.Members {
		if m.Pod == pod {
			return m
		}
	}
	return MemberState{}
}

// IDsByPod maps each pod to the member ID its etcd reports.
func (s ClusterState) IDsByPod() map[string]uint64 {
	out := map[string]uint64{}
	for _, m := range s.Members {
		out[m.Pod] = m.ID()
	}
	return out
}

// Endpoints are the members' client URLs at their pod IPs.
func (s ClusterState) Endpoints() []string {
	var eps []string
	for _, m := range s.Members {
		eps = append(eps, m.Endpoint())
	}
	return eps
}

// Learners counts the learners in etcd's member list.
func (s ClusterState) Learners() int {
	n := 0
	for _, m := range s.List {
		if m.IsLearner {
			n++
		}
	}
	return n
}

// Look is what one look at a cluster saw of its membership.
type Look struct {
	At time.Time
	// Listed are the member IDs in etcd's member list.
	Listed map[uint64]bool
	// Learners counts the learners among them.
	Learners int
	// Leaders are the leaders the members that answered named.
	Leaders map[uint64]bool
}

// Look is s's membership, seen at at.
func (s ClusterState) Look(at time.Time) Look {
	l := Look{At: at, Listed: map[uint64]bool{}, Learners: s.Learners(), Leaders: s.LeaderIDs()}
	for _, m := range s.List {
		l.Listed[m.ID] = true
	}
	return l
}

// LastListed is the last of looks at which member id was still listed.
func LastListed(looks []Look, id uint64) (Look, bool) {
	var last Look
	found := false
	for _, l := range looks {
		if l.Listed[id] {
			last, found = l, true
		}
	}
	return last, found
}
