package upgrade

import (
	"fmt"

	"github.com/Masterminds/semver/v3"
)

// Member is one member's name, the etcd version it reports ("" when it did
// not answer) and its raft index.
type Member struct {
	Name, Version string
	RaftIndex     uint64
}

// Input is what the check reads.
type Input struct {
	// Target is spec.version.
	Target  string
	Members []Member
	// ClusterVersion is the cluster version etcd reports ("" unknown), and
	// ClusterVersionIndex the leader's raft index when the operator first
	// saw it (0 unknown): entries before it may be the older minor's.
	ClusterVersion      string
	ClusterVersionIndex uint64
	// SnapshotCount is the members' --snapshot-count.
	SnapshotCount uint64
}

// Verdict is whether the cluster may go to the target version now.
type Verdict struct {
	// Refused is true when the target must wait; the pods stay as they are.
	Refused bool
	// GoFirst is the release to go to before the target, "" when none
	// would help (a downgrade).
	GoFirst string
	// Message says why, for a condition.
	Message string
	// Waits is true when the refusal lifts by itself (the members' raft
	// logs move on): it is checked again soon.
	Waits bool
}

// Check decides whether the members may move to in.Target. A member on
// the target's minor or one below, at or above that minor's floor, may go;
// a member on a higher minor may come back only while the cluster version
// has not reached that minor (a member that failed on a new version).
// Versions that do not parse are left to admission.
func Check(in Input) Verdict {
	to, err := semver.StrictNewVersion(in.Target)
	if err != nil {
		return Verdict{}
	}
	cv, _ := semver.NewVersion(in.ClusterVersion)
	for _, m := range in.Members {
		v, err := semver.StrictNewVersion(m.Version)
		if err != nil || v.Major() != to.Major() {
			continue
		}
		if why := refusal(m.Name, v, to, cv); why.Refused {
			return why
		}
	}
	return walReplayable(in, to, cv)
}

// walReplayable holds an upgrade to the minor that dropped the v2 store
// until every member has taken a raft snapshot after the cluster version
// reached the minor before it. A cluster that ran 3.5 wrote v2 requests
// (member attributes, the cluster version) to the raft log, and a 3.7
// member that replays one from its WAL panics ("unmarshal should never
// fail"); a member snapshots once its index passes the last snapshot by
// --snapshot-count, and replays only what follows its snapshot.
func walReplayable(in Input, to, cv *semver.Version) Verdict {
	if fmt.Sprintf("%d.%d", to.Major(), to.Minor()) != V2Removed || cv == nil || cv.Minor()+1 != to.Minor() {
		return Verdict{}
	}
	if in.ClusterVersionIndex == 0 {
		return Verdict{Refused: true, Waits: true, Message: fmt.Sprintf(
			"waiting to learn the raft index at which the cluster reached %s before going to %s", cv, to)}
	}
	need := in.ClusterVersionIndex + in.SnapshotCount + 1
	for _, m := range in.Members {
		if m.RaftIndex < need {
			return Verdict{Refused: true, Waits: true, Message: fmt.Sprintf(
				"member %s is at raft index %d of %d: etcd %s cannot replay the v2 entries an older minor may have left in a WAL, so the roll waits until every member has taken a snapshot after index %d, where the cluster reached %d.%d (%d + spec.tuning.snapshotCount %d + 1); writes move it on, and on an idle cluster a lower snapshotCount does",
				m.Name, m.RaftIndex, need, V2Removed, in.ClusterVersionIndex, cv.Major(), cv.Minor(), in.ClusterVersionIndex, in.SnapshotCount)}
		}
	}
	return Verdict{}
}

func refusal(name string, v, to, cluster *semver.Version) Verdict {
	switch {
	case v.Minor() > to.Minor():
		if cluster != nil && cluster.Minor() <= to.Minor() {
			return Verdict{}
		}
		return Verdict{Refused: true, Message: fmt.Sprintf(
			"member %s runs etcd %s and the cluster version is %s: etcd does not go back to %d.%d", name, v, clusterOrUnknown(cluster), to.Major(), to.Minor())}
	case v.Minor()+1 < to.Minor():
		return Verdict{Refused: true, GoFirst: firstStep(v), Message: fmt.Sprintf(
			"member %s runs etcd %s: etcd upgrades one minor version at a time; set spec.version to %s first",
			name, v, firstStep(v))}
	case v.Minor()+1 == to.Minor():
		f, ok := floorOf(fmt.Sprintf("%d.%d", to.Major(), to.Minor()))
		if !ok || !v.LessThan(semver.MustParse(f.Min)) {
			return Verdict{}
		}
		return Verdict{Refused: true, GoFirst: f.Min, Message: fmt.Sprintf(
			"member %s runs etcd %s: every member must run %s or later before %s (%s); set spec.version to %s first",
			name, v, f.Min, f.To, f.Source, f.Min)}
	}
	return Verdict{}
}

// firstStep is the release a member on v goes to first on its way up
// more than one minor: its own minor's floor if it is below it, else the
// next minor's floor (the release of the next minor the one after needs).
func firstStep(v *semver.Version) string {
	if f, ok := floorOf(fmt.Sprintf("%d.%d", v.Major(), v.Minor()+1)); ok && v.LessThan(semver.MustParse(f.Min)) {
		return f.Min
	}
	if f, ok := floorOf(fmt.Sprintf("%d.%d", v.Major(), v.Minor()+2)); ok {
		return f.Min
	}
	return fmt.Sprintf("the newest %d.%d release", v.Major(), v.Minor()+1)
}

func floorOf(minor string) (Floor, bool) {
	for _, f := range Floors {
		if f.To == minor {
			return f, true
		}
	}
	return Floor{}, false
}

func clusterOrUnknown(v *semver.Version) string {
	if v == nil {
		return "unknown"
	}
	return v.String()
}
