package upgrade

import (
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

func members(versions ...string) []Member {
	out := make([]Member, len(versions))
	for i, v := range versions {
		out[i] = Member{Name: "m" + string(rune('0'+i)), Version: v}
	}
	return out
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name, target, clusterVersion string
		members                      []Member
		refused                      bool
		goFirst, says                string
	}{
		{name: "patch upgrade", target: "3.5.32", members: members("3.5.21", "3.5.21", "3.5.21"), clusterVersion: "3.5.0"},
		{name: "3.5 below the floor of 3.6", target: "3.6.16", members: members("3.5.21", "3.5.21", "3.5.21"), clusterVersion: "3.5.0",
			refused: true, goFirst: "3.5.32", says: "every member must run 3.5.32 or later before 3.6"},
		{name: "one member below the floor", target: "3.6.16", members: members("3.5.32", "3.5.21", "3.5.32"),
			refused: true, goFirst: "3.5.32", says: "member m1 runs etcd 3.5.21"},
		{name: "3.5 at the floor", target: "3.6.16", members: members("3.5.32", "3.5.32", "3.5.32"), clusterVersion: "3.5.0"},
		{name: "mid-roll to 3.6", target: "3.6.16", members: members("3.5.32", "3.6.16", "3.6.16"), clusterVersion: "3.5.0"},
		{name: "3.6 below the floor of 3.7", target: "3.7.3", members: members("3.6.10", "3.6.16"),
			refused: true, goFirst: "3.6.11", says: "3.6.11 or later before 3.7"},
		{name: "3.6 at the floor of 3.7", target: "3.7.3", members: members("3.6.11", "3.6.16")},
		{name: "a skipped minor names the floor of the next", target: "3.7.3", members: members("3.5.32"),
			refused: true, goFirst: "3.6.11", says: "one minor version at a time"},
		{name: "a skipped minor below the first floor", target: "3.7.3", members: members("3.5.21"),
			refused: true, goFirst: "3.5.32", says: "set spec.version to 3.5.32 first"},
		{name: "back while the cluster version has not moved", target: "3.6.16", members: members("3.7.3", "3.6.16", "3.6.16"), clusterVersion: "3.6.0"},
		{name: "back after the cluster version moved", target: "3.6.16", members: members("3.7.3", "3.7.3", "3.7.3"), clusterVersion: "3.7.0",
			refused: true, says: "the cluster version is 3.7.0"},
		{name: "back with the cluster version unknown", target: "3.6.16", members: members("3.7.3"),
			refused: true, says: "the cluster version is unknown"},
		{name: "members that did not answer are not judged", target: "3.6.16", members: members("", "3.5.32")},
		{name: "a target that does not parse is left to admission", target: "latest", members: members("3.5.21")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Check(Input{Target: tc.target, Members: tc.members, ClusterVersion: tc.clusterVersion})
			if got.Refused != tc.refused || got.GoFirst != tc.goFirst || !strings.Contains(got.Message, tc.says) {
				t.Fatalf("Check(%s) = %+v, want refused=%v goFirst=%q message containing %q", tc.target, got, tc.refused, tc.goFirst, tc.says)
			}
		})
	}
}

// A cluster that reached 3.6 goes to 3.7 only once every member has taken
// a raft snapshot after that point.
func TestTheRollTo37WaitsForSnapshotsPastTheOldMinor(t *testing.T) {
	in := Input{Target: "3.7.3", ClusterVersion: "3.6.0", ClusterVersionIndex: 5000, SnapshotCount: 1000,
		Members: []Member{{Name: "a", Version: "3.6.16", RaftIndex: 6001}, {Name: "b", Version: "3.6.16", RaftIndex: 5800}}}
	got := Check(in)
	if !got.Refused || !got.Waits || !strings.Contains(got.Message, "member b is at raft index 5800 of 6001") {
		t.Fatalf("Check = %+v, want a wait for member b", got)
	}
	in.Members[1].RaftIndex = 6001
	if got := Check(in); got.Refused {
		t.Fatalf("every member past the snapshot point, still refused: %+v", got)
	}
	in.ClusterVersionIndex = 0
	if got := Check(in); !got.Refused || !got.Waits {
		t.Fatalf("an unknown index must wait: %+v", got)
	}
	if got := Check(Input{Target: "3.6.16", ClusterVersion: "3.5.0", Members: []Member{{Name: "a", Version: "3.5.32"}}}); got.Refused {
		t.Fatalf("the rule is for the minor without v2 only: %+v", got)
	}
}

// TestFloorsAreOrdered keeps the data honest: each floor is a release of
// the minor just below the one it guards, and every floor names a source.
func TestFloorsAreOrdered(t *testing.T) {
	for _, f := range Floors {
		to, min := semver.MustParse(f.To+".0"), semver.MustParse(f.Min)
		if min.Major() != to.Major() || min.Minor()+1 != to.Minor() || !strings.HasPrefix(f.Source, "https://etcd.io/") {
			t.Errorf("floor %+v: Min must be a release of the minor below To, with etcd's guide as its source", f)
		}
	}
}
