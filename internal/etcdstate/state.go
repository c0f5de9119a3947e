// Package etcdstate is what etcd reported about one cluster: its members,
// what each member's status call said, and the leader. Pure data: the etcd
// seam (internal/etcd) fills it, the planner (internal/membership) and the
// status report read it, and neither needs an etcd client for that.
package etcdstate

import (
	"slices"
	"strconv"
	"strings"
)

// Member is one etcd member and what its status call said.
type Member struct {
	ID         uint64
	Name       string
	PeerURLs   []string
	ClientURLs []string
	Learner    bool
	// Reached is true when the member answered its status call.
	Reached bool
	Leader  bool
	Version string
	DBSize  int64
	// DBSizeInUse is the part of DBSize that holds live data.
	DBSizeInUse int64
	RaftIndex   uint64
	// Revision is the member's store revision.
	Revision int64
	// Errors are the member's own errors (alarms) or why it was not reached.
	Errors []string
}

// Healthy is true for a member that answered and reports no errors. An
// alarm is an error: no membership change is made while one is raised.
func (m Member) Healthy() bool { return m.Reached && len(m.Errors) == 0 }

// Serving is true for a member that answered and reports no error but
// alarms: it is part of the quorum and serves reads, though an alarm may
// refuse writes (the cluster's Degraded condition says so).
func (m Member) Serving() bool {
	if !m.Reached {
		return false
	}
	for _, e := range m.Errors {
		if alarmOf(e) == "" {
			return false
		}
	}
	return true
}

// Started is true once the member's etcd has published itself to the
// cluster (its name and client URLs), which a member added by
// MemberAdd has not done until its own etcd has joined.
func (m Member) Started() bool { return len(m.ClientURLs) > 0 }

// Cluster is a snapshot of a cluster as etcd reports it.
type Cluster struct {
	ID       uint64
	LeaderID uint64
	Members  []Member
}

// RaftLag is how many raft entries m trails the leader by; 0 when the
// leader is unknown.
func (c *Cluster) RaftLag(m Member) uint64 {
	for _, l := range c.Members {
		if l.ID == c.LeaderID && l.RaftIndex > m.RaftIndex {
			return l.RaftIndex - m.RaftIndex
		}
	}
	return 0
}

// Revision is the highest store revision any member reported.
func (c *Cluster) Revision() int64 {
	var rev int64
	for _, m := range c.Members {
		rev = max(rev, m.Revision)
	}
	return rev
}

// Leader is the leader member, false when none is known.
func (c *Cluster) Leader() (Member, bool) {
	for _, m := range c.Members {
		if m.ID == c.LeaderID && c.LeaderID != 0 {
			return m, true
		}
	}
	return Member{}, false
}

// HexID formats an etcd ID the way etcdctl prints it.
func HexID(id uint64) string { return strconv.FormatUint(id, 16) }

// KnownAlarms are the alarms etcd raises: NOSPACE (the database reached
// its quota; writes are refused) and CORRUPT (a member's data differs).
var KnownAlarms = []string{"NOSPACE", "CORRUPT"}

// Alarms are the alarms among members' errors. Every member's status
// lists every alarm of the cluster, in the alarm's text form
// ("memberID:... alarm:NOSPACE"), so one member's errors are enough.
func Alarms(errs []string) []string {
	var out []string
	for _, a := range KnownAlarms {
		if slices.ContainsFunc(errs, func(e string) bool { return alarmOf(e) == a }) {
			out = append(out, a)
		}
	}
	return out
}

// alarmOf is the alarm error e names, "" when it is another error.
func alarmOf(e string) string {
	for _, a := range KnownAlarms {
		if strings.Contains(e, a) {
			return a
		}
	}
	return ""
}

// Alarms are the alarms any member of c reports.
func (c *Cluster) Alarms() []string {
	var errs []string
	for _, m := range c.Members {
		errs = append(errs, m.Errors...)
	}
	return Alarms(errs)
}
