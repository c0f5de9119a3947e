// Package membership decides, one safe step at a time, how an etcd cluster's
// membership and its StatefulSet's replica count move towards spec.size.
//
// It is pure: it reads what etcd and Kubernetes report and returns the next
// step; the controller carries the step out. The decision is a list of
// ordered, named rules (rules.go), each of which returns a step or passes;
// the first that returns one decides. Because every decision is made from
// the live member list against the pods, a step that was half done when the
// operator stopped is recognized and finished on the next pass.
package membership

import (
	"time"

	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/values"
)

// Action is a change to make in etcd or to a member's storage.
type Action string

const (
	// ActionNone changes nothing in etcd.
	ActionNone Action = ""
	// ActionAddLearner adds Target as a learner before its pod exists.
	ActionAddLearner Action = "AddLearner"
	// ActionPromote promotes the learner Target to a voting member.
	ActionPromote Action = "Promote"
	// ActionMoveLeader hands leadership from Target to TransferTo.
	ActionMoveLeader Action = "MoveLeader"
	// ActionRemove removes the member Target.
	ActionRemove Action = "Remove"
	// ActionReplace removes Target, whose data is gone, and adds it back
	// as a learner with the same peer URL, so that its pod joins as a new
	// member instead of crash-looping on a raft log it no longer has.
	ActionReplace Action = "Replace"
	// ActionReset changes nothing in etcd: it gives the learner Target's
	// pod fresh storage, because the data there is a removed member's.
	ActionReset Action = "Reset"
	// ActionPruneClaim changes nothing in etcd: it deletes Target's claim,
	// above the replicas and owned by no member (a removed member's data,
	// which a later member of the same ordinal would otherwise start on).
	ActionPruneClaim Action = "PruneClaim"
)

// Step is the next thing to do.
type Step struct {
	Action Action
	// Rule names the rule that decided the step, for logs and tests.
	Rule string
	// Target is the member (pod) the action is about.
	Target string
	// TargetID is Target's etcd member ID, for promote, remove and move-leader.
	TargetID uint64
	// TransferTo is the member that receives leadership.
	TransferTo uint64
	// PeerURL is Target's peer URL, for add.
	PeerURL string
	// Membership is what the chart renders after Action succeeded.
	Membership values.Membership
	// Current is what the chart renders while Action has not succeeded.
	Current values.Membership
	// Blocked explains why a wanted change waits (unhealthy cluster).
	Blocked string
	// RestartPod deletes Target's pod once Action succeeded, so that it
	// starts over at once as the member etcd now has for it rather than
	// after a crash-loop back-off, and without the EmptyDir it had.
	RestartPod bool
	// DeleteClaim deletes Target's claim before its pod restarts: it holds
	// a removed member's data, which etcd refuses to start on.
	DeleteClaim bool
	// Nudge has the cluster commit an empty entry while a learner does not
	// answer: one that joined from a snapshot serves no client until its
	// publish returns, which it cannot until it applies an entry past the
	// snapshot (see etcd.Client.Nudge).
	Nudge bool
}

// Input is what the controller observed.
type Input struct {
	// Namer names members after their pods.
	Namer Namer
	// Size is spec.size.
	Size int32
	// Replicas is the StatefulSet's current replica count, or -1 when the
	// StatefulSet does not exist.
	Replicas int32
	// Formed is true once the cluster has formed: status holds its ID, or
	// etcd answered with a member list.
	Formed bool
	// Cluster is etcd's view, nil when etcd could not be asked this time.
	Cluster *etcdstate.Cluster
	// KnownMembers are member names from the last status, used while etcd
	// cannot be asked.
	KnownMembers []string
	// DataLost names members whose data now lives on something other than
	// what held it when the same member (by ID) was last healthy.
	DataLost map[string]bool
	// RemovedData names the pods whose etcd stopped itself, as it does when
	// the member its data belongs to was removed from the cluster (and
	// again on every restart on that data). Only acted on for a learner
	// that never answered or a pod without a member, which hold no data
	// the cluster needs, as the same exit follows a SIGTERM.
	RemovedData map[string]bool
	// Lingering names the pods of ordinals at or above Replicas whose pod
	// or claim still exists: a removed member's, on its way out. A member
	// is not added there until both are gone, or its pod would start on
	// the removed member's data, or the StatefulSet would not start it.
	Lingering map[string]bool
	// Claims names the pods whose claim exists and is not being deleted.
	Claims map[string]bool
	// EtcdUp is, for each pod whose etcd container has started at least
	// once, how long ago the pod started (restarts included).
	EtcdUp map[string]time.Duration
	// LearnerStartGrace is how long a learner's etcd may run in its pod
	// without the learner starting before the pod gets fresh storage: an
	// etcd up that long is not the learner (it runs some other member's
	// data), as a learner publishes itself within seconds of its start.
	// Zero never resets.
	LearnerStartGrace time.Duration
	// MaxLearnerLag is how far behind the leader's raft index a learner may
	// be and still be promoted.
	MaxLearnerLag uint64
}

// Plan returns the next step for in: the step of the first rule that
// gives one.
func Plan(in Input) Step {
	s := decide(in)
	if s.Action == ActionNone {
		s.Current = s.Membership
	}
	return s
}

func decide(in Input) Step {
	for _, r := range bootstrapRules {
		if s, ok := r.decide(in); ok {
			s.Rule = r.name
			return s
		}
	}
	v := newView(in)
	for _, r := range memberRules {
		if s, ok := r.decide(in, v); ok {
			s.Rule = r.name
			return s
		}
	}
	return Step{Rule: "steady", Membership: v.hold}
}
