package maintenance

import (
	"testing"

	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
)

const mib = 1 << 20

var policy = Policy{Defragment: true, MinDBSize: 100 * mib, MinFreeRatio: 0.45, RecoverNoSpace: true, Quota: 1000 * mib}

// cluster is three healthy members, the leader db-1, each with a database
// of size and inUse MiB unless changed.
func cluster(size, inUse int64, change ...func(*etcdstate.Cluster)) *etcdstate.Cluster {
	cl := &etcdstate.Cluster{ID: 1, LeaderID: 2}
	for i, name := range []string{"db-0", "db-1", "db-2"} {
		cl.Members = append(cl.Members, etcdstate.Member{ID: uint64(i + 1), Name: name, ClientURLs: []string{"https://" + name},
			Reached: true, Leader: i == 1, DBSize: size * mib, DBSizeInUse: inUse * mib, Revision: 500})
	}
	for _, f := range change {
		f(cl)
	}
	return cl
}

func alarm(a string) func(*etcdstate.Cluster) {
	return func(cl *etcdstate.Cluster) {
		for i := range cl.Members {
			cl.Members[i].Errors = append(cl.Members[i].Errors, "memberID:1 alarm:"+a)
		}
	}
}

func member(name string, f func(*etcdstate.Member)) func(*etcdstate.Cluster) {
	return func(cl *etcdstate.Cluster) {
		for i := range cl.Members {
			if cl.Members[i].Name == name {
				f(&cl.Members[i])
			}
		}
	}
}

func defragDone(name string) func(*etcdstate.Cluster) {
	return member(name, func(m *etcdstate.Member) { m.DBSize = m.DBSizeInUse })
}

func TestNext(t *testing.T) {
	off := policy
	off.Defragment, off.RecoverNoSpace = false, false
	for _, tc := range []struct {
		name    string
		cl      *etcdstate.Cluster
		policy  Policy
		history History
		want    Kind
		member  string
		to      string
		blocked bool
	}{
		{name: "nothing fragmented", cl: cluster(300, 200), want: None},
		{name: "free share below the threshold", cl: cluster(300, 170), want: None},
		{name: "database below the minimum size", cl: cluster(90, 10), want: None},
		{name: "a follower first", cl: cluster(300, 100), want: Defragment, member: "db-0"},
		{name: "then the next follower", cl: cluster(300, 100, defragDone("db-0")), want: Defragment, member: "db-2"},
		{name: "the leader is moved, not defragmented", cl: cluster(300, 100, defragDone("db-0"), defragDone("db-2")), want: MoveLeader, member: "db-1", to: "db-0"},
		{name: "leadership never goes to a learner", cl: cluster(300, 100, defragDone("db-0"), defragDone("db-2"),
			member("db-0", func(m *etcdstate.Member) { m.Learner = true })), want: MoveLeader, member: "db-1", to: "db-2"},
		{name: "a lone member is defragmented where it is", cl: cluster(300, 100, func(cl *etcdstate.Cluster) { cl.Members = cl.Members[1:2] }), want: Defragment, member: "db-1"},
		{name: "never with a member unreachable", cl: cluster(300, 100, member("db-2", func(m *etcdstate.Member) { m.Reached = false })), want: None},
		{name: "never with a member in error", cl: cluster(300, 100, member("db-2", func(m *etcdstate.Member) { m.Errors = []string{"no leader"} })), want: None},
		{name: "policy off", cl: cluster(300, 100), policy: off, want: None},
		{name: "never on a CORRUPT cluster", cl: cluster(300, 100, alarm("CORRUPT")), want: None},
		{name: "NOSPACE: compact first", cl: cluster(1000, 990, alarm("NOSPACE")), want: Compact},
		{name: "NOSPACE: compact again after deletes", cl: cluster(1000, 990, alarm("NOSPACE")), history: History{Compacted: 400}, want: Compact},
		{name: "NOSPACE: defragment a follower near the quota, whatever its size in use says", cl: cluster(1000, 990, alarm("NOSPACE")),
			history: History{Compacted: 500}, want: Defragment, member: "db-0"},
		{name: "NOSPACE: then the next follower", cl: cluster(1000, 990, alarm("NOSPACE")),
			history: History{Compacted: 500, Defragmented: map[uint64]int64{1: 500}}, want: Defragment, member: "db-2"},
		{name: "NOSPACE: a follower defragmented before the last compaction goes again", cl: cluster(1000, 990, alarm("NOSPACE")),
			history: History{Compacted: 500, Defragmented: map[uint64]int64{1: 400}}, want: Defragment, member: "db-0"},
		{name: "NOSPACE: the leader after it has moved", cl: cluster(1000, 100, alarm("NOSPACE")),
			history: History{Compacted: 500, Defragmented: map[uint64]int64{1: 500, 3: 500}}, want: MoveLeader, member: "db-1", to: "db-0"},
		{name: "NOSPACE: live data too big once all are defragmented", cl: cluster(950, 950, alarm("NOSPACE")),
			history: History{Compacted: 500, Defragmented: map[uint64]int64{1: 500, 2: 500, 3: 500}}, want: None, blocked: true},
		{name: "NOSPACE: disarm once every file is under the quota", cl: cluster(100, 100, alarm("NOSPACE")), history: History{Compacted: 500}, want: Disarm},
		{name: "NOSPACE: left alone when recovery is off", cl: cluster(1000, 100, alarm("NOSPACE")), policy: off, want: None},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			if p == (Policy{}) {
				p = policy
			}
			got := Next(tc.cl, p, tc.history)
			if got.Kind != tc.want || got.Member.Name != tc.member || got.To.Name != tc.to {
				t.Fatalf("Next = %s %q -> %q (%s), want %s %q -> %q", got.Kind, got.Member.Name, got.To.Name, got.Why, tc.want, tc.member, tc.to)
			}
			if (got.Blocked != "") != tc.blocked {
				t.Fatalf("Blocked = %q, want blocked %v", got.Blocked, tc.blocked)
			}
			if got.Kind != None && got.Why == "" {
				t.Fatal("an action without a reason")
			}
		})
	}
}

func TestCompactRevisionIsTheHighestReported(t *testing.T) {
	cl := cluster(1000, 990, alarm("NOSPACE"), member("db-2", func(m *etcdstate.Member) { m.Revision = 777 }))
	if got := Next(cl, policy, History{}); got.Kind != Compact || got.Revision != 777 {
		t.Fatalf("Next = %s at %d, want Compact at 777", got.Kind, got.Revision)
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{512: "512 B", 2048: "2.0 KiB", 150 * mib: "150.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := bytes(n); got != want {
			t.Errorf("bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
