package rollout

import (
	"testing"

	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
)

// input is three Ready pods db-0..db-2 with healthy members on 3.7.3, the
// leader db-1; outdated names the pods on the old revision.
func input(outdated ...string) Input {
	in := Input{Size: 3, Version: "3.7.3", PodOf: func(m etcdstate.Member) string { return m.Name },
		Cluster: &etcdstate.Cluster{ID: 1, LeaderID: 2}}
	old := map[string]bool{}
	for _, o := range outdated {
		old[o] = true
	}
	for i, name := range []string{"db-0", "db-1", "db-2"} {
		in.Pods = append(in.Pods, Pod{Name: name, Ordinal: i, Outdated: old[name], Ready: true})
		in.Cluster.Members = append(in.Cluster.Members, etcdstate.Member{ID: uint64(i + 1), Name: name, ClientURLs: []string{"x"},
			Reached: true, Leader: i == 1, Version: "3.7.3", RaftIndex: 100})
	}
	return in
}

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     Input
		want   Kind
		pod    string
		to     string
		change func(*Input)
	}{
		{name: "nothing outdated", in: input(), want: None},
		{name: "the highest follower first", in: input("db-0", "db-1", "db-2"), want: Restart, pod: "db-2"},
		{name: "then the other follower", in: input("db-0", "db-1"), want: Restart, pod: "db-0"},
		{name: "the leader's leadership moves first", in: input("db-1"), want: MoveLeader, to: "db-0"},
		{name: "a lone member restarts", in: input("db-1"), want: Restart, pod: "db-1", change: func(in *Input) {
			in.Size, in.Pods, in.Cluster.Members = 1, in.Pods[1:2], in.Cluster.Members[1:2]
		}},
		{name: "waits for a pod to be ready", in: input("db-0", "db-1"), want: Wait, change: func(in *Input) { in.Pods[2].Ready = false }},
		{name: "waits for a terminating pod", in: input("db-0", "db-1"), want: Wait, change: func(in *Input) { in.Pods[2].Terminating = true }},
		{name: "waits for an unhealthy member", in: input("db-0", "db-1"), want: Wait, change: func(in *Input) { in.Cluster.Members[2].Errors = []string{"no leader"} }},
		{name: "waits for a restarted member to report the new version", in: input("db-0", "db-1"), want: Wait, change: func(in *Input) { in.Cluster.Members[2].Version = "3.6.16" }},
		{name: "old members may run the old version", in: input("db-0", "db-1"), want: Restart, pod: "db-0", change: func(in *Input) {
			in.Cluster.Members[0].Version, in.Cluster.Members[1].Version = "3.6.16", "3.6.16"
		}},
		{name: "waits for a lagging member", in: input("db-0", "db-1"), want: Wait, change: func(in *Input) { in.Cluster.Members[1].RaftIndex = 5000 }},
		{name: "waits while etcd does not answer", in: input("db-0"), want: Wait, change: func(in *Input) { in.Cluster = nil }},
		{name: "waits for a missing pod", in: input("db-0"), want: Wait, change: func(in *Input) { in.Pods = in.Pods[:2] }},
		{name: "waits without a leader", in: input("db-0"), want: Wait, change: func(in *Input) { in.Cluster.LeaderID = 0 }},
		{name: "a member failing on the new template halts the roll", in: input("db-0", "db-1"), want: Halt, pod: "db-2", change: func(in *Input) {
			in.Pods[2].Ready, in.Pods[2].Failing = false, "ImagePullBackOff"
			in.Cluster.Members[2].Errors = []string{"unreachable"}
		}},
		{name: "a member failing on an old template restarts first", in: input("db-2"), want: Restart, pod: "db-2", change: func(in *Input) {
			in.Pods[2].Ready, in.Pods[2].Failing = false, "ImagePullBackOff"
			in.Cluster.Members[2].Errors = []string{"unreachable"}
		}},
		{name: "a failing old member waits while another is unhealthy", in: input("db-2"), want: Wait, change: func(in *Input) {
			in.Pods[2].Ready, in.Pods[2].Failing = false, "CrashLoopBackOff"
			in.Cluster.Members[0].Errors = []string{"unreachable"}
		}},
		{name: "a starting old pod is waited for, not restarted", in: input("db-2"), want: Wait, change: func(in *Input) { in.Pods[2].Ready = false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if tc.change != nil {
				tc.change(&in)
			}
			got := Next(in)
			if got.Kind != tc.want || got.Pod != tc.pod || got.To.Name != tc.to {
				t.Fatalf("Next = %s %q -> %q (%s), want %s %q -> %q", got.Kind, got.Pod, got.To.Name, got.Why, tc.want, tc.pod, tc.to)
			}
			if got.Kind != None && got.Why == "" {
				t.Fatal("an action without a reason")
			}
		})
	}
}
