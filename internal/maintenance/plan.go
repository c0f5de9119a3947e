// Package maintenance decides the operator's care of a cluster's databases:
// which member to defragment next, when to move leadership out of the way
// first, and how to recover from a NOSPACE alarm. Pure: it reads what etcd
// reported (internal/etcdstate) and a Policy, and says one Action; the
// controller carries it out, one at a time per cluster.
package maintenance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
)

// defragAbove is the share of the quota a member's database file must be
// under for a NOSPACE alarm to be disarmed: etcd checks the file's size,
// not the data in use, against the quota, so each member at or above it is
// defragmented first.
const defragAbove = 0.9

// Policy is what the cluster's spec asks for.
type Policy struct {
	// Defragment turns the fragmentation policy on: its mode is Auto and
	// its window, if any, is open.
	Defragment bool
	// MinDBSize and MinFreeRatio: a member is fragmented when its database
	// file is at least MinDBSize and at least MinFreeRatio of it is free.
	MinDBSize    int64
	MinFreeRatio float64
	// RecoverNoSpace turns NOSPACE recovery on.
	RecoverNoSpace bool
	// Quota is the backend quota in bytes.
	Quota int64
}

// Kind is what an Action does.
type Kind string

const (
	None       Kind = ""
	Compact    Kind = "Compact"
	MoveLeader Kind = "MoveLeader"
	Defragment Kind = "Defragment"
	Disarm     Kind = "Disarm"
)

// Action is the one thing to do next.
type Action struct {
	Kind Kind
	// Member is the member to defragment, or the leader to move from.
	Member etcdstate.Member
	// To is the member leadership moves to.
	To etcdstate.Member
	// Revision is what to compact to.
	Revision int64
	// Alarm is what to disarm.
	Alarm string
	// Why says what led to the action, for its Event.
	Why string
}

// Decision is the next action, and why NOSPACE recovery cannot go on when
// it cannot (live data alone is above what recovery works to).
type Decision struct {
	Action
	Blocked string
}

// History is what the operator did to a cluster since it started: the
// revision it last compacted to (0: none yet) and, per member ID, the
// compaction revision at which that member was last defragmented.
type History struct {
	Compacted    int64
	Defragmented map[uint64]int64
}

// Next is the one action the cluster needs now. Nothing is done on a
// cluster with a member that does not serve, nor on a CORRUPT one.
func Next(cl *etcdstate.Cluster, p Policy, h History) Decision {
	if cl == nil || len(cl.Members) == 0 || !allServing(cl) {
		return Decision{}
	}
	alarms := cl.Alarms()
	switch {
	case slices.Contains(alarms, "CORRUPT"):
		return Decision{}
	case slices.Contains(alarms, "NOSPACE"):
		if !p.RecoverNoSpace {
			return Decision{}
		}
		return noSpace(cl, p, h)
	case len(alarms) > 0 || !p.Defragment:
		return Decision{}
	}
	return Decision{Action: inTurn(cl, p.fragmented, "free pages passed the defragmentation threshold")}
}

// noSpace is the next step of NOSPACE recovery: compact, defragment each
// member near the quota once since that compaction, disarm once every file
// is under it. The size in use is not trusted here: etcd counts the pages a
// compaction freed only at a later write, and NOSPACE refuses writes; a
// defragmentation measures it for certain.
func noSpace(cl *etcdstate.Cluster, p Policy, h History) Decision {
	if rev := cl.Revision(); rev > h.Compacted {
		return Decision{Action: Action{Kind: Compact, Revision: rev,
			Why: fmt.Sprintf("NOSPACE: compacting the history to revision %d to free its space", rev)}}
	}
	limit := int64(defragAbove * float64(p.Quota))
	near := func(m etcdstate.Member) bool { return m.DBSize >= limit }
	pending := func(m etcdstate.Member) bool { return near(m) && h.Defragmented[m.ID] < h.Compacted }
	if a := inTurn(cl, pending, "NOSPACE: the database file is near the quota"); a.Kind != None {
		return Decision{Action: a}
	}
	for _, m := range sorted(cl.Members) {
		if near(m) {
			return Decision{Blocked: fmt.Sprintf(
				"member %s holds %s of live data after compaction and defragmentation, above %.0f%% of the quota (%s): delete keys or raise spec.tuning.quotaBackendBytes; the operator then compacts, defragments and disarms the alarm",
				m.Name, bytes(m.DBSize), defragAbove*100, bytes(p.Quota))}
		}
	}
	return Decision{Action: Action{Kind: Disarm, Alarm: "NOSPACE",
		Why: fmt.Sprintf("NOSPACE: every member's database is under %.0f%% of the quota (%s) again", defragAbove*100, bytes(p.Quota))}}
}

// inTurn is the defragmentation of the next member that needs one:
// followers first, in name order; the leader last, and only after its
// leadership has moved to a voting member (a defragmenting leader stalls
// the cluster's writes). A single member is defragmented where it is.
func inTurn(cl *etcdstate.Cluster, needs func(etcdstate.Member) bool, why string) Action {
	leader, hasLeader := cl.Leader()
	for _, m := range sorted(cl.Members) {
		if needs(m) && (!hasLeader || m.ID != leader.ID) {
			return Action{Kind: Defragment, Member: m, Why: why + ": " + describe(m)}
		}
	}
	if !hasLeader || !needs(leader) {
		return Action{}
	}
	for _, m := range sorted(cl.Members) {
		if m.ID != leader.ID && !m.Learner {
			return Action{Kind: MoveLeader, Member: leader, To: m,
				Why: "leadership moves before the leader is defragmented: " + describe(leader)}
		}
	}
	return Action{Kind: Defragment, Member: leader, Why: why + ": " + describe(leader)}
}

// fragmented is the fragmentation policy.
func (p Policy) fragmented(m etcdstate.Member) bool {
	free := m.DBSize - m.DBSizeInUse
	return m.DBSize > 0 && m.DBSize >= p.MinDBSize && float64(free) >= p.MinFreeRatio*float64(m.DBSize)
}

func allServing(cl *etcdstate.Cluster) bool {
	for _, m := range cl.Members {
		if !m.Serving() {
			return false
		}
	}
	return true
}

func sorted(ms []etcdstate.Member) []etcdstate.Member {
	out := slices.Clone(ms)
	slices.SortFunc(out, func(a, b etcdstate.Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// describe is a member's sizes, for an Event.
func describe(m etcdstate.Member) string {
	return fmt.Sprintf("member %s, database %s, %s in use", m.Name, bytes(m.DBSize), bytes(m.DBSizeInUse))
}

// bytes is n in KiB, MiB or GiB, with one decimal.
func bytes(n int64) string {
	units := []string{"KiB", "MiB", "GiB"}
	v, unit := float64(n), "B"
	for _, u := range units {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	if unit == "B" {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}
