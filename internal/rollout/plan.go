// Package rollout decides the ordered restart of a cluster's pods onto a
// new pod template (a version upgrade, tuning, resources): one member at a
// time, followers first, the leader last and only after its leadership has
// moved to a member already restarted, each member healthy and, for an
// upgrade, reporting the new version before the next goes. The StatefulSet
// runs with the OnDelete strategy, so a pod changes only when the operator
// deletes it. Pure: the controller carries the Action out.
package rollout

import (
	"fmt"
	"slices"

	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
)

// Pod is one member pod as the pass saw it.
type Pod struct {
	Name    string
	Ordinal int
	// Outdated is true when the pod runs an older revision than the
	// StatefulSet's update revision.
	Outdated    bool
	Ready       bool
	Terminating bool
	// Failing says why the pod's etcd cannot run (ImagePullBackOff,
	// CrashLoopBackOff...), "" when it runs or is starting.
	Failing string
}

// Input is what the pass read.
type Input struct {
	// Pods are the member pods below the StatefulSet's replicas.
	Pods []Pod
	// Cluster is etcd's answer; nil when etcd did not answer.
	Cluster *etcdstate.Cluster
	// PodOf names the pod of a member.
	PodOf func(etcdstate.Member) string
	// Size is the number of members the cluster should have.
	Size int
	// Version is the etcd version a restarted member must report.
	Version string
}

// Kind is what an Action does.
type Kind string

const (
	None       Kind = ""
	Wait       Kind = "Wait"
	Restart    Kind = "Restart"
	MoveLeader Kind = "MoveLeader"
	// Halt: a member restarted onto the new template fails there; the
	// roll goes no further until the spec changes.
	Halt Kind = "Halt"
)

// Action is the next step of the roll.
type Action struct {
	Kind Kind
	// Pod is the pod to restart.
	Pod string
	// From and To: leadership moves from the leader to a restarted member.
	From, To etcdstate.Member
	// Why says what the roll does or waits for.
	Why string
}

// Next is the roll's next step: None when no pod is outdated.
func Next(in Input) Action {
	outdated := 0
	for _, p := range in.Pods {
		if p.Outdated {
			outdated++
		}
	}
	if outdated == 0 {
		return Action{}
	}
	if a, ok := failed(in); ok {
		return a
	}
	if why := notReady(in); why != "" {
		return Action{Kind: Wait, Why: why}
	}
	leader, _ := in.Cluster.Leader()
	leaderPod := in.PodOf(leader)
	pods := slices.Clone(in.Pods)
	// Highest ordinal first, as the StatefulSet controller would.
	slices.SortFunc(pods, func(a, b Pod) int { return b.Ordinal - a.Ordinal })
	for _, p := range pods {
		if p.Outdated && p.Name != leaderPod {
			return Action{Kind: Restart, Pod: p.Name, Why: fmt.Sprintf("%d of %d members to restart; followers first", outdated, len(in.Pods))}
		}
	}
	// Only the leader is left.
	for _, m := range in.Cluster.Members {
		if m.ID != leader.ID && !m.Learner {
			return Action{Kind: MoveLeader, From: leader, To: m, Why: "leadership moves to a restarted member before the leader restarts"}
		}
	}
	return Action{Kind: Restart, Pod: leaderPod, Why: "the only member restarts"}
}

// failed handles a pod whose etcd cannot run. On the new template it halts
// the roll: the next member would fail the same way. On an old one (the
// spec was set back after the new template failed, or changed to mend a
// crashing member) it is restarted first, once every other member is
// healthy: it serves nothing, and the new template may be its cure.
func failed(in Input) (Action, bool) {
	for _, p := range in.Pods {
		if !p.Outdated && p.Failing != "" && !p.Terminating {
			return Action{Kind: Halt, Pod: p.Name, Why: fmt.Sprintf(
				"%s fails on the new pod template (%s): the roll stops there; mend the spec, or set spec.version back", p.Name, p.Failing)}, true
		}
	}
	for _, p := range in.Pods {
		if p.Outdated && p.Failing != "" && !p.Terminating && othersServe(in, p.Name) {
			return Action{Kind: Restart, Pod: p.Name, Why: fmt.Sprintf(
				"%s fails on its old pod template (%s): it restarts onto the new one first", p.Name, p.Failing)}, true
		}
	}
	return Action{}, false
}

// othersServe is true when every pod but name is Ready and every member but
// name's is healthy, under a leader.
func othersServe(in Input, name string) bool {
	if in.Cluster == nil {
		return false
	}
	if _, ok := in.Cluster.Leader(); !ok {
		return false
	}
	for _, p := range in.Pods {
		if p.Name != name && (!p.Ready || p.Terminating) {
			return false
		}
	}
	for _, m := range in.Cluster.Members {
		if in.PodOf(m) != name && !m.Healthy() {
			return false
		}
	}
	return true
}

// notReady says why the next pod may not go yet, "" when it may: every pod
// Ready and none terminating, every member healthy, and every restarted
// member on the version the spec asks for.
func notReady(in Input) string {
	if in.Cluster == nil {
		return "etcd does not answer"
	}
	for _, p := range in.Pods {
		switch {
		case p.Terminating:
			return "pod " + p.Name + " is terminating"
		case !p.Ready:
			return "pod " + p.Name + " is not ready"
		}
	}
	if len(in.Cluster.Members) != in.Size || len(in.Pods) != in.Size {
		return fmt.Sprintf("%d members and %d pods, want %d", len(in.Cluster.Members), len(in.Pods), in.Size)
	}
	if _, ok := in.Cluster.Leader(); !ok {
		return "no leader"
	}
	restarted := map[string]bool{}
	for _, p := range in.Pods {
		restarted[p.Name] = !p.Outdated
	}
	for _, m := range in.Cluster.Members {
		switch {
		case !m.Healthy():
			return "member " + m.Name + " is not healthy"
		case m.Learner:
			return "member " + m.Name + " is a learner"
		case in.Cluster.RaftLag(m) > maxLag:
			return fmt.Sprintf("member %s trails the leader by %d entries", m.Name, in.Cluster.RaftLag(m))
		case restarted[in.PodOf(m)] && in.Version != "" && m.Version != in.Version:
			return fmt.Sprintf("member %s runs etcd %s, not yet %s", m.Name, m.Version, in.Version)
		}
	}
	return ""
}

// maxLag is how far a member may trail the leader and count as caught up.
const maxLag = 1000
