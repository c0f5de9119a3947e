package membership

import (
	"fmt"
	"sort"
	"strings"

	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/values"
)

// A bootstrapRule decides from the input alone, before etcd's member list
// is looked at.
type bootstrapRule struct {
	name   string
	decide func(in Input) (Step, bool)
}

// A memberRule decides from etcd's member list, held in v.
type memberRule struct {
	name   string
	decide func(in Input, v view) (Step, bool)
}

// The rules in the order they are asked; the first step given is taken.
var (
	bootstrapRules = []bootstrapRule{
		{"bootstrap", bootstrap},
		{"statefulSetGone", statefulSetGone},
		{"forming", forming},
		{"etcdSilent", etcdSilent},
	}
	memberRules = []memberRule{
		{"runPodOfMember", runPodOfMember},
		{"pruneClaim", pruneClaim},
		{"podWithoutMember", podWithoutMember},
		{"replaceLostData", replaceLostData},
		{"learner", learnerStep},
		{"sizeReached", sizeReached},
		{"waitForHealth", waitForHealth},
		{"grow", grow},
		{"shrink", shrink},
	}
)

// view is etcd's member list by pod name, and the membership that keeps
// the cluster as it is.
type view struct {
	members map[string]etcdstate.Member
	hold    values.Membership
}

func newView(in Input) view {
	members := byName(in.Namer, in.Cluster.Members)
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	return view{members: members, hold: values.Membership{
		Replicas: in.Replicas, State: values.StateExisting, InitialMembers: sortedNames(names),
	}}
}

// keep is the step that changes nothing, rendering m.
func keep(m values.Membership, blocked string) (Step, bool) {
	return Step{Membership: m, Blocked: blocked}, true
}

// bootstrap starts every member together from the same initial cluster.
func bootstrap(in Input) (Step, bool) {
	if in.Replicas >= 0 || in.Formed {
		return Step{}, false
	}
	return keep(values.Membership{Replicas: in.Size, State: values.StateNew}, "")
}

// statefulSetGone: the StatefulSet of a formed cluster was deleted. It is
// rendered again for the members status knows, joining as existing
// members: a formed cluster never bootstraps again (that would make a new,
// empty etcd cluster where the old one's data is).
func statefulSetGone(in Input) (Step, bool) {
	if in.Replicas >= 0 {
		return Step{}, false
	}
	replicas := int32(0)
	for _, n := range in.KnownMembers {
		replicas = max(replicas, in.Namer.ordinal(n)+1)
	}
	if replicas == 0 {
		replicas = in.Size
	}
	return keep(values.Membership{Replicas: replicas, State: values.StateExisting, InitialMembers: sortedNames(in.KnownMembers)},
		"the StatefulSet of the formed cluster was deleted: it is recreated for the known members, never bootstrapped again")
}

// forming keeps rendering the bootstrap configuration until etcd answers.
func forming(in Input) (Step, bool) {
	if in.Formed {
		return Step{}, false
	}
	return keep(values.Membership{Replicas: in.Replicas, State: values.StateNew}, "")
}

// etcdSilent holds everything while etcd cannot be asked.
func etcdSilent(in Input) (Step, bool) {
	if in.Cluster != nil {
		return Step{}, false
	}
	hold := values.Membership{Replicas: in.Replicas, State: values.StateExisting, InitialMembers: sortedNames(in.KnownMembers)}
	return keep(hold, "etcd did not answer")
}

// runPodOfMember: a member exists for an ordinal without a pod, an add
// whose replica bump did not happen yet. Its pod is run.
func runPodOfMember(in Input, v view) (Step, bool) {
	top := int32(-1)
	for _, n := range v.hold.InitialMembers {
		top = max(top, in.Namer.ordinal(n))
	}
	if top < in.Replicas {
		return Step{}, false
	}
	if pod := in.Namer.pod(top); in.Lingering[pod] {
		return keep(v.hold, lingeringMessage(pod))
	}
	grown := v.hold
	grown.Replicas = top + 1
	return keep(grown, "")
}

// pruneClaim deletes a claim above the replicas that no member owns: a
// removed member's data, which a later member of the same ordinal would
// start on (and etcd refuses: the member was removed). The StatefulSet's
// whenScaled: Delete policy usually gets there first, but not when a
// scale-up races the old pod's termination.
func pruneClaim(in Input, v view) (Step, bool) {
	pods := make([]string, 0, len(in.Claims))
	for pod := range in.Claims {
		pods = append(pods, pod)
	}
	sort.Strings(pods)
	for _, pod := range pods {
		if _, member := v.members[pod]; member || in.Namer.ordinal(pod) < in.Replicas {
			continue
		}
		return Step{Action: ActionPruneClaim, Target: pod, DeleteClaim: true, Membership: v.hold, Current: v.hold}, true
	}
	return Step{}, false
}

// podWithoutMember: a pod runs without a member. Above the size it is the
// pod of a removed member, and the StatefulSet shrinks; below, it is a
// replacement half done or a member removed by hand, and it is added back,
// then restarted on fresh storage. What its storage holds is a removed
// member's data, or what a pod started on lost data wrote: etcd never
// starts the new member on either.
func podWithoutMember(in Input, v view) (Step, bool) {
	for i := range in.Replicas {
		pod := in.Namer.pod(i)
		if _, ok := v.members[pod]; ok {
			continue
		}
		if i >= in.Size && i == in.Replicas-1 {
			shrunk := v.hold
			shrunk.Replicas = in.Replicas - 1
			return keep(shrunk, "")
		}
		if i < in.Size {
			grown := v.hold
			grown.InitialMembers = with(v.hold.InitialMembers, pod)
			return Step{
				Action: ActionAddLearner, Target: pod, PeerURL: in.Namer.PeerURL(pod), Membership: grown, Current: v.hold,
				RestartPod: true, DeleteClaim: true,
			}, true
		}
	}
	return Step{}, false
}

// replaceLostData: a member whose data is gone is replaced, one at a time,
// while the others keep quorum; a learner too, whose pod cannot start it
// on an empty volume either. The pod restarts on fresh storage: an etcd
// started on the empty volume before the swap took the old member's ID
// from its peers (same peer URL) and wrote it into its data, and would
// come back as the removed member, never as the new one.
func replaceLostData(in Input, v view) (Step, bool) {
	for _, n := range v.hold.InitialMembers {
		m := v.members[n]
		if !in.DataLost[n] || m.Healthy() || (m.Learner && in.Namer.ordinal(n) >= in.Size) {
			continue // a learner the spec no longer wants is removed instead
		}
		voters, healthyOthers := 0, 0
		for other, om := range v.members {
			if om.Learner {
				continue
			}
			voters++
			if other != n && om.Healthy() {
				healthyOthers++
			}
		}
		if healthyOthers < voters/2+1 {
			return keep(v.hold, fmt.Sprintf("member %s lost its data; replacing it would lose quorum", n))
		}
		return Step{
			Action: ActionReplace, Target: n, TargetID: m.ID, PeerURL: in.Namer.PeerURL(n), Membership: v.hold, Current: v.hold,
			RestartPod: true, DeleteClaim: true,
		}, true
	}
	return Step{}, false
}

// learnerStep: one change at a time, so a learner is dealt with before
// anything else. One the spec no longer wants (scale-up canceled) goes
// without waiting for a pod that may never start; one whose pod runs
// another member's data gets fresh storage; one caught up is promoted.
func learnerStep(in Input, v view) (Step, bool) {
	for _, n := range v.hold.InitialMembers {
		m := v.members[n]
		if !m.Learner {
			continue
		}
		if in.Namer.ordinal(n) >= in.Size {
			shrunk := v.hold
			shrunk.InitialMembers = without(v.hold.InitialMembers, n)
			return Step{Action: ActionRemove, Target: n, TargetID: m.ID, Membership: shrunk, Current: v.hold}, true
		}
		// A replacement whose pod started as the old member before the
		// swap, not given fresh storage because the operator stopped in
		// between: etcd will never start the learner there. A learner
		// that never started holds nothing.
		if !m.Started() && (in.RemovedData[n] || stalled(in, n)) {
			return Step{Action: ActionReset, Target: n, TargetID: m.ID, Membership: v.hold, Current: v.hold, RestartPod: true, DeleteClaim: true}, true
		}
		if !m.Reached || !caughtUp(m, in.Cluster, in.MaxLearnerLag) {
			return Step{Membership: v.hold, Blocked: fmt.Sprintf("waiting for learner %s to catch up", n), Nudge: !m.Reached}, true
		}
		return Step{Action: ActionPromote, Target: n, TargetID: m.ID, Membership: v.hold, Current: v.hold}, true
	}
	return Step{}, false
}

// sizeReached: as many members as the spec wants.
func sizeReached(in Input, v view) (Step, bool) {
	if in.Size != in.Replicas {
		return Step{}, false
	}
	return keep(v.hold, "")
}

// waitForHealth: a size change waits for every voter to be healthy, except
// the one going away (removing an unhealthy member only helps).
func waitForHealth(in Input, v view) (Step, bool) {
	leaving := ""
	if in.Size < in.Replicas {
		leaving = in.Namer.pod(in.Replicas - 1)
	}
	var unhealthy []string
	for n, m := range v.members {
		if n != leaving && !m.Learner && !m.Healthy() {
			unhealthy = append(unhealthy, n)
		}
	}
	if len(unhealthy) == 0 {
		return Step{}, false
	}
	sort.Strings(unhealthy)
	return keep(v.hold, "members unhealthy: "+strings.Join(unhealthy, ", "))
}

// grow adds the next ordinal as a learner, once what a removed member of
// that ordinal left is gone.
func grow(in Input, v view) (Step, bool) {
	if in.Size <= in.Replicas {
		return Step{}, false
	}
	next := in.Namer.pod(in.Replicas)
	if in.Lingering[next] {
		return keep(v.hold, lingeringMessage(next))
	}
	grown := v.hold
	grown.Replicas = in.Replicas + 1
	grown.InitialMembers = with(v.hold.InitialMembers, next)
	return Step{Action: ActionAddLearner, Target: next, PeerURL: in.Namer.PeerURL(next), Membership: grown, Current: v.hold}, true
}

// shrink removes the highest ordinal (the StatefulSet removes that pod),
// after handing its leadership to a member that stays.
func shrink(in Input, v view) (Step, bool) {
	last := in.Namer.pod(in.Replicas - 1)
	m := v.members[last]
	if m.Leader {
		return Step{
			Action: ActionMoveLeader, Target: last, TargetID: m.ID, TransferTo: transferee(in.Namer, v.members, in.Size),
			Membership: v.hold, Current: v.hold,
		}, true
	}
	shrunk := v.hold
	shrunk.Replicas = in.Replicas - 1
	shrunk.InitialMembers = without(v.hold.InitialMembers, last)
	return Step{Action: ActionRemove, Target: last, TargetID: m.ID, Membership: shrunk, Current: v.hold}, true
}

func lingeringMessage(pod string) string {
	return fmt.Sprintf("waiting for the pod and claim of removed member %s to be deleted", pod)
}

// stalled is true when pod's etcd has run for the learner start grace
// without its learner starting.
func stalled(in Input, pod string) bool {
	up, ok := in.EtcdUp[pod]
	return ok && in.LearnerStartGrace > 0 && up >= in.LearnerStartGrace
}

func caughtUp(m etcdstate.Member, c *etcdstate.Cluster, maxLag uint64) bool {
	for _, l := range c.Members {
		if l.ID == c.LeaderID {
			return l.RaftIndex <= m.RaftIndex+maxLag
		}
	}
	return false
}

// transferee picks the healthy voter that stays (ordinal below size) with
// the highest raft index, the lowest ordinal on ties, so that leadership
// is not handed to a member removed next.
func transferee(n Namer, members map[string]etcdstate.Member, size int32) uint64 {
	var best etcdstate.Member
	bestOrdinal := int32(-1)
	for name, m := range members {
		o := n.ordinal(name)
		if o < 0 || o >= size || m.Learner || !m.Healthy() {
			continue
		}
		if bestOrdinal < 0 || m.RaftIndex > best.RaftIndex || (m.RaftIndex == best.RaftIndex && o < bestOrdinal) {
			best, bestOrdinal = m, o
		}
	}
	return best.ID
}
