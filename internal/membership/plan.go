// Package membership decides, one safe step at a time, how an etcd cluster's
// membership and its StatefulSet's replica count move towards spec.size.
//
// It is pure: it reads what etcd and Kubernetes report and returns the next
// step; the controller carries the step out. Because every decision is made
// from the live member list against the pods, a step that was half done
// when the operator stopped is recognized and finished on the next pass.
package membership

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/values"
)

// Action is a change to make in etcd.
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
)

// Step is the next thing to do.
type Step struct {
	Action Action
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
	// snapshot (see etcd.Membership.Nudge).
	Nudge bool
}

// Input is what the controller observed.
type Input struct {
	// Namer names members after their pods.
	Namer Namer
	// Size is spec.size.
	Size int32
	// Replicas is the StatefulSet's current replica count, or -1 when the
	// StatefulSet does not exist yet.
	Replicas int32
	// Formed is true once etcd has answered with a cluster ID.
	Formed bool
	// Cluster is etcd's view, nil when etcd could not be asked this time.
	Cluster *etcd.Cluster
	// KnownMembers are member names from the last status, used while etcd
	// cannot be asked.
	KnownMembers []string
	// DataLost names members whose pod came back without their data.
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

// Plan returns the next step for in.
func Plan(in Input) Step {
	s := plan(in)
	if s.Action == ActionNone {
		s.Current = s.Membership
	}
	return s
}

func plan(in Input) Step {
	if in.Replicas < 0 {
		// Bootstrap: every member starts together from the same initial cluster.
		return Step{Membership: values.Membership{Replicas: in.Size, State: values.StateNew}}
	}
	if !in.Formed {
		// Still bootstrapping: keep rendering the bootstrap configuration.
		return Step{Membership: values.Membership{Replicas: in.Replicas, State: values.StateNew}}
	}
	hold := values.Membership{Replicas: in.Replicas, State: values.StateExisting, InitialMembers: sortedNames(in.KnownMembers)}
	if in.Cluster == nil {
		return Step{Membership: hold, Blocked: "etcd did not answer"}
	}
	members := byName(in.Namer, in.Cluster.Members)
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	hold.InitialMembers = sortedNames(names)

	// A member exists for an ordinal without a pod: an add whose replica
	// bump did not happen yet. Run its pod.
	if top := highestOrdinal(in.Namer.Cluster, names); top >= in.Replicas {
		if pod := podName(in.Namer.Cluster, top); in.Lingering[pod] {
			return Step{Membership: hold, Blocked: lingeringMessage(pod)}
		}
		hold.Replicas = top + 1
		return Step{Membership: hold}
	}
	// A pod runs without a member.
	for i := range in.Replicas {
		pod := podName(in.Namer.Cluster, i)
		if _, ok := members[pod]; ok {
			continue
		}
		if i >= in.Size && i == in.Replicas-1 {
			// Its member was removed and the StatefulSet not shrunk yet.
			hold.Replicas = in.Replicas - 1
			return Step{Membership: hold}
		}
		if i < in.Size {
			// A replacement half done, or a member removed by hand: add
			// it back, then restart its pod on fresh storage. What its
			// storage holds is a removed member's data, or what a pod
			// started on lost data wrote: etcd never starts the new
			// member on either.
			grown := hold
			grown.InitialMembers = sortedNames(append(append([]string(nil), hold.InitialMembers...), pod))
			return Step{
				Action: ActionAddLearner, Target: pod, PeerURL: in.Namer.PeerURL(pod), Membership: grown, Current: hold,
				RestartPod: true, DeleteClaim: true,
			}
		}
	}

	// A member whose data is gone is replaced, one at a time, while the
	// others keep quorum; a learner too, whose pod cannot start it on an
	// empty volume either. The pod restarts on fresh storage: an etcd
	// started on the empty volume before the swap took the old member's
	// ID from its peers (same peer URL) and wrote it into its data, and
	// would come back as the removed member, never as the new one.
	for _, n := range hold.InitialMembers {
		m := members[n]
		if !in.DataLost[n] || m.Healthy() || (m.Learner && Ordinal(in.Namer.Cluster, n) >= in.Size) {
			continue // a learner the spec no longer wants is removed below instead
		}
		voters, healthyOthers := 0, 0
		for other, om := range members {
			if om.Learner {
				continue
			}
			voters++
			if other != n && om.Healthy() {
				healthyOthers++
			}
		}
		if healthyOthers < voters/2+1 {
			return Step{Membership: hold, Blocked: fmt.Sprintf("member %s lost its data; replacing it would lose quorum", n)}
		}
		return Step{
			Action: ActionReplace, Target: n, TargetID: m.ID, PeerURL: in.Namer.PeerURL(n), Membership: hold, Current: hold,
			RestartPod: true, DeleteClaim: true,
		}
	}

	for _, n := range hold.InitialMembers {
		m := members[n]
		if !m.Learner {
			continue
		}
		// A learner the spec no longer wants (scale-up canceled) goes
		// without waiting for a pod that may never start.
		if Ordinal(in.Namer.Cluster, n) >= in.Size {
			shrunk := hold
			shrunk.InitialMembers = without(hold.InitialMembers, n)
			return Step{Action: ActionRemove, Target: n, TargetID: m.ID, Membership: shrunk, Current: hold}
		}
		// Its pod runs another member's data (a replacement whose pod
		// started as the old member before the swap, and was not given
		// fresh storage because the operator stopped in between): etcd
		// will never start the learner there, so the pod gets fresh
		// storage. A learner that never started holds nothing.
		if !m.Started() && (in.RemovedData[n] || stalled(in, n)) {
			return Step{Action: ActionReset, Target: n, TargetID: m.ID, Membership: hold, Current: hold, RestartPod: true, DeleteClaim: true}
		}
		// One change at a time: a learner is promoted before anything else.
		if !m.Reached || !caughtUp(m, in.Cluster, in.MaxLearnerLag) {
			return Step{Membership: hold, Blocked: fmt.Sprintf("waiting for learner %s to catch up", n), Nudge: !m.Reached}
		}
		return Step{Action: ActionPromote, Target: n, TargetID: m.ID, Membership: hold, Current: hold}
	}

	if in.Size == in.Replicas {
		return Step{Membership: hold}
	}
	last := podName(in.Namer.Cluster, in.Replicas-1)
	// Removing the member that is going away is allowed even if it is the
	// unhealthy one: that only helps. Anything else waits for health.
	leaving := ""
	if in.Size < in.Replicas {
		leaving = last
	}
	if unhealthy := unhealthyVoters(members, leaving); len(unhealthy) > 0 {
		return Step{Membership: hold, Blocked: "members unhealthy: " + strings.Join(unhealthy, ", ")}
	}
	if in.Size > in.Replicas {
		next := podName(in.Namer.Cluster, in.Replicas)
		if in.Lingering[next] {
			return Step{Membership: hold, Blocked: lingeringMessage(next)}
		}
		grown := hold
		grown.Replicas = in.Replicas + 1
		grown.InitialMembers = sortedNames(append(append([]string(nil), hold.InitialMembers...), next))
		return Step{Action: ActionAddLearner, Target: next, PeerURL: in.Namer.PeerURL(next), Membership: grown, Current: hold}
	}
	// Shrink from the highest ordinal; the StatefulSet removes that pod.
	m := members[last]
	if m.Leader {
		return Step{Action: ActionMoveLeader, Target: last, TargetID: m.ID, TransferTo: transferee(in.Namer.Cluster, members, in.Size), Membership: hold, Current: hold}
	}
	shrunk := hold
	shrunk.Replicas = in.Replicas - 1
	shrunk.InitialMembers = without(hold.InitialMembers, last)
	return Step{Action: ActionRemove, Target: last, TargetID: m.ID, Membership: shrunk, Current: hold}
}

// maxOrdinal bounds the pod ordinals a member name is looked up among:
// spec.size is at most 9, and one member may be in flight.
const maxOrdinal = 16

// Namer tells which pod an etcd member stands for.
type Namer struct {
	// Cluster is the EtcdCluster's name: pods are Cluster-0, Cluster-1...
	Cluster string
	// PeerURL is the peer URL of a pod.
	PeerURL func(pod string) string
}

// Name is the pod of m: etcd's member name once the member has started
// (the chart sets it to the pod name), else the pod whose peer URL m was
// added with, else the peer URL itself.
func (n Namer) Name(m etcd.Member) string {
	if m.Name != "" {
		return m.Name
	}
	for i := range int32(maxOrdinal) {
		pod := podName(n.Cluster, i)
		for _, u := range m.PeerURLs {
			if u == n.PeerURL(pod) {
				return pod
			}
		}
	}
	if len(m.PeerURLs) > 0 {
		return m.PeerURLs[0]
	}
	return etcd.HexID(m.ID)
}

func byName(n Namer, ms []etcd.Member) map[string]etcd.Member {
	out := make(map[string]etcd.Member, len(ms))
	for _, m := range ms {
		out[n.Name(m)] = m
	}
	return out
}

func lingeringMessage(pod string) string {
	return fmt.Sprintf("waiting for the pod and claim of removed member %s to be deleted", pod)
}

func podName(cluster string, ordinal int32) string {
	return cluster + "-" + strconv.Itoa(int(ordinal))
}

// Ordinal returns the StatefulSet ordinal of cluster's pod called name, or
// -1 when name is not a pod of cluster.
func Ordinal(cluster, name string) int32 {
	rest, ok := strings.CutPrefix(name, cluster+"-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(rest, 10, 32)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != rest {
		return -1
	}
	return int32(n)
}

func highestOrdinal(cluster string, names []string) int32 {
	top := int32(-1)
	for _, n := range names {
		top = max(top, Ordinal(cluster, n))
	}
	return top
}

// stalled is true when pod's etcd has run for the learner start grace
// without its learner starting.
func stalled(in Input, pod string) bool {
	up, ok := in.EtcdUp[pod]
	return ok && in.LearnerStartGrace > 0 && up >= in.LearnerStartGrace
}

func caughtUp(m etcd.Member, c *etcd.Cluster, maxLag uint64) bool {
	for _, l := range c.Members {
		if l.ID == c.LeaderID {
			return l.RaftIndex <= m.RaftIndex+maxLag
		}
	}
	return false
}

func unhealthyVoters(members map[string]etcd.Member, except string) []string {
	var out []string
	for n, m := range members {
		if n != except && !m.Learner && !m.Healthy() {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// transferee picks the healthy voter that stays (ordinal below size) with
// the highest raft index, the lowest ordinal on ties, so that leadership
// is not handed to a member removed next.
func transferee(cluster string, members map[string]etcd.Member, size int32) uint64 {
	var best etcd.Member
	bestOrdinal := int32(-1)
	for n, m := range members {
		o := Ordinal(cluster, n)
		if o < 0 || o >= size || m.Learner || !m.Healthy() {
			continue
		}
		if bestOrdinal < 0 || m.RaftIndex > best.RaftIndex || (m.RaftIndex == best.RaftIndex && o < bestOrdinal) {
			best, bestOrdinal = m, o
		}
	}
	return best.ID
}

func sortedNames(names []string) []string {
	out := append([]string(nil), names...)
	sort.Strings(out)
	return out
}

func without(names []string, drop string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != drop {
			out = append(out, n)
		}
	}
	return out
}
