package membership

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/resources"
	"github.com/etcd-operator/etcd-operator/internal/values"
)

const clusterName = "demo"

// peerURL is the chart's peer URL of a pod in namespace ns.
func peerURL(pod string) string {
	return "http://" + pod + ".demo-peer.ns.svc.cluster.local:2380"
}

func clientURL(pod string) string {
	return "http://" + pod + ".demo-peer.ns.svc.cluster.local:2379"
}

var namer = Namer{Cluster: clusterName, PeerURL: peerURL}

func pod(i int) string { return fmt.Sprintf("%s-%d", clusterName, i) }

func memberID(i int) uint64 { return 0x8e9e05c52164694d + uint64(i) }

// raftIndex is the raft index of voters.
const raftIndex = 5000

// voter is the started, healthy voting member of pod i at raftIndex.
func voter(i int) etcdstate.Member {
	return etcdstate.Member{
		ID:         memberID(i),
		Name:       pod(i),
		PeerURLs:   []string{peerURL(pod(i))},
		ClientURLs: []string{clientURL(pod(i))},
		Reached:    true,
		Version:    "3.7.3",
		RaftIndex:  raftIndex,
	}
}

// learner is a started learner of pod i at raftIndex.
func learner(i int, raftIndex uint64) etcdstate.Member {
	m := voter(i)
	m.Learner = true
	m.RaftIndex = raftIndex
	return m
}

// unstarted is a member added for pod i whose pod never ran: etcd knows
// its peer URL only, and Inspect reports it "not started".
func unstarted(i int) etcdstate.Member {
	return etcdstate.Member{
		ID:       memberID(i),
		PeerURLs: []string{peerURL(pod(i))},
		Learner:  true,
		Errors:   []string{"not started"},
	}
}

// down is the voter of pod i, not answering.
func down(i int) etcdstate.Member {
	return edit(voter(i), func(m *etcdstate.Member) { m.Reached, m.Errors = false, []string{"context deadline exceeded"} })
}

// edit returns m changed by f.
func edit(m etcdstate.Member, f func(*etcdstate.Member)) etcdstate.Member {
	f(&m)
	return m
}

// leading makes m the leader.
func leading(m etcdstate.Member) etcdstate.Member {
	return edit(m, func(m *etcdstate.Member) { m.Leader = true })
}

// snapshot builds etcd's view; the leader is the member marked Leader.
func snapshot(ms ...etcdstate.Member) *etcdstate.Cluster {
	c := &etcdstate.Cluster{ID: 0xcdf818194e3a8c32, Members: ms}
	for _, m := range ms {
		if m.Leader {
			c.LeaderID = m.ID
		}
	}
	return c
}

// voters returns healthy voters for pods 0..n-1 with pod 0 leading.
func voters(n int) []etcdstate.Member {
	out := make([]etcdstate.Member, n)
	for i := range out {
		out[i] = voter(i)
	}
	out[0] = leading(out[0])
	return out
}

func pods(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = pod(i)
	}
	return out
}

func existing(replicas int32, members ...string) values.Membership {
	return values.Membership{Replicas: replicas, State: values.StateExisting, InitialMembers: members}
}

func TestPlan(t *testing.T) {
	const lag = 1000
	tests := []struct {
		name string
		in   Input
		want Step
		// wantBlocked is a substring of Step.Blocked; "" means not blocked.
		wantBlocked string
		// rule, when set, is the rule that must decide.
		rule string
	}{
		{
			name:        "a formed cluster whose StatefulSet was deleted is not bootstrapped again",
			in:          Input{Size: 3, Replicas: -1, Formed: true, KnownMembers: []string{"demo-1", "demo-0", "demo-2"}},
			want:        Step{Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...)},
			wantBlocked: "never bootstrapped again",
			rule:        "statefulSetGone",
		},
		{
			name: "a claim above the replicas that no member owns is pruned",
			in: Input{Size: 3, Replicas: 3, Formed: true, Cluster: snapshot(voters(3)...),
				Claims: map[string]bool{"demo-0": true, "demo-1": true, "demo-2": true, "demo-3": true}},
			want: Step{Action: ActionPruneClaim, Target: "demo-3", DeleteClaim: true, Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...)},
			rule: "pruneClaim",
		},
		{
			name: "bootstrap renders every member as new",
			in:   Input{Size: 3, Replicas: -1},
			want: Step{
				Membership: values.Membership{Replicas: 3, State: values.StateNew},
				Current:    values.Membership{Replicas: 3, State: values.StateNew},
			},
		},
		{
			name: "bootstrap of a single member",
			in:   Input{Size: 1, Replicas: -1},
			want: Step{
				Membership: values.Membership{Replicas: 1, State: values.StateNew},
				Current:    values.Membership{Replicas: 1, State: values.StateNew},
			},
		},
		{
			name: "not formed keeps bootstrapping with the current replicas",
			in:   Input{Size: 5, Replicas: 3, Formed: false},
			want: Step{
				Membership: values.Membership{Replicas: 3, State: values.StateNew},
				Current:    values.Membership{Replicas: 3, State: values.StateNew},
			},
		},
		{
			name: "not formed ignores known members",
			in:   Input{Size: 3, Replicas: 3, Formed: false, KnownMembers: []string{"demo-0"}},
			want: Step{
				Membership: values.Membership{Replicas: 3, State: values.StateNew},
				Current:    values.Membership{Replicas: 3, State: values.StateNew},
			},
		},
		{
			name: "formed at size holds with sorted members",
			in: Input{Size: 3, Replicas: 3, Formed: true,
				Cluster: snapshot(voter(2), leading(voter(0)), voter(1))},
			want: Step{Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...)},
		},
		{
			name: "formed single member holds",
			in:   Input{Size: 1, Replicas: 1, Formed: true, Cluster: snapshot(voters(1)...)},
			want: Step{Membership: existing(1, "demo-0"), Current: existing(1, "demo-0")},
		},
		{
			name: "an unhealthy voter does not matter at size",
			in: Input{Size: 3, Replicas: 3, Formed: true,
				Cluster: snapshot(leading(voter(0)), voter(1), edit(voter(2), func(m *etcdstate.Member) { m.Reached = false }))},
			want: Step{Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...)},
		},
		{
			name: "scale up 3 to 5 adds demo-3 as a learner",
			in:   Input{Size: 5, Replicas: 3, Formed: true, Cluster: snapshot(voters(3)...)},
			want: Step{
				Action:     ActionAddLearner,
				Target:     "demo-3",
				PeerURL:    "http://demo-3.demo-peer.ns.svc.cluster.local:2380",
				Membership: existing(4, pods(4)...),
				Current:    existing(3, pods(3)...),
			},
		},
		{
			name: "scale up 1 to 3 adds demo-1",
			in:   Input{Size: 3, Replicas: 1, Formed: true, Cluster: snapshot(voters(1)...)},
			want: Step{
				Action:     ActionAddLearner,
				Target:     "demo-1",
				PeerURL:    peerURL("demo-1"),
				Membership: existing(2, "demo-0", "demo-1"),
				Current:    existing(1, "demo-0"),
			},
		},
		{
			name: "a learner far behind the leader blocks",
			in: Input{Size: 5, Replicas: 4, Formed: true, MaxLearnerLag: lag,
				Cluster: snapshot(append(voters(3), learner(3, raftIndex-lag-1))...)},
			want:        Step{Membership: existing(4, pods(4)...), Current: existing(4, pods(4)...)},
			wantBlocked: "demo-3",
		},
		{
			name: "a caught up learner is promoted",
			in: Input{Size: 5, Replicas: 4, Formed: true, MaxLearnerLag: lag,
				Cluster: snapshot(append(voters(3), learner(3, raftIndex-10))...)},
			want: Step{
				Action:     ActionPromote,
				Target:     "demo-3",
				TargetID:   memberID(3),
				Membership: existing(4, pods(4)...),
				Current:    existing(4, pods(4)...),
			},
		},
		{
			name: "a learner exactly at the allowed lag is promoted",
			in: Input{Size: 5, Replicas: 4, Formed: true, MaxLearnerLag: lag,
				Cluster: snapshot(append(voters(3), learner(3, raftIndex-lag))...)},
			want: Step{
				Action: ActionPromote, Target: "demo-3", TargetID: memberID(3),
				Membership: existing(4, pods(4)...), Current: existing(4, pods(4)...),
			},
		},
		{
			name: "a learner is promoted even when size is reached",
			in: Input{Size: 4, Replicas: 4, Formed: true, MaxLearnerLag: lag,
				Cluster: snapshot(append(voters(3), learner(3, raftIndex))...)},
			want: Step{
				Action: ActionPromote, Target: "demo-3", TargetID: memberID(3),
				Membership: existing(4, pods(4)...), Current: existing(4, pods(4)...),
			},
		},
		{
			name: "a learner that did not answer blocks, and etcd is nudged for it",
			in: Input{Size: 5, Replicas: 4, Formed: true, MaxLearnerLag: lag,
				Cluster: snapshot(append(voters(3), edit(learner(3, raftIndex), func(m *etcdstate.Member) { m.Reached = false }))...)},
			want:        Step{Membership: existing(4, pods(4)...), Current: existing(4, pods(4)...), Nudge: true},
			wantBlocked: "waiting for learner demo-3",
		},
		{
			name: "an unstarted learner blocks, and etcd is nudged for it",
			in: Input{Size: 5, Replicas: 4, Formed: true, MaxLearnerLag: lag,
				Cluster: snapshot(append(voters(3), unstarted(3))...)},
			want:        Step{Membership: existing(4, pods(4)...), Current: existing(4, pods(4)...), Nudge: true},
			wantBlocked: "demo-3",
		},
		{
			name: "a learner cannot be promoted without a leader",
			in: Input{Size: 5, Replicas: 4, Formed: true, MaxLearnerLag: lag,
				Cluster: snapshot(voter(0), voter(1), voter(2), learner(3, raftIndex))},
			want:        Step{Membership: existing(4, pods(4)...), Current: existing(4, pods(4)...)},
			wantBlocked: "demo-3",
		},
		{
			name: "an unhealthy voter blocks scaling up",
			in: Input{Size: 5, Replicas: 3, Formed: true,
				Cluster: snapshot(leading(voter(0)), edit(voter(1), func(m *etcdstate.Member) { m.Errors = []string{"NOSPACE"} }), voter(2))},
			want:        Step{Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...)},
			wantBlocked: "members unhealthy: demo-1",
		},
		{
			name: "unreachable voters block scaling down and are all named",
			in: Input{Size: 3, Replicas: 5, Formed: true,
				Cluster: snapshot(leading(voter(0)),
					edit(voter(3), func(m *etcdstate.Member) { m.Reached = false }), voter(1),
					edit(voter(2), func(m *etcdstate.Member) { m.Reached = false }), voter(4))},
			want:        Step{Membership: existing(5, pods(5)...), Current: existing(5, pods(5)...)},
			wantBlocked: "members unhealthy: demo-2, demo-3",
		},
		{
			name: "scale down from a leading highest ordinal moves leadership first",
			in: Input{Size: 3, Replicas: 5, Formed: true,
				Cluster: snapshot(
					edit(voter(0), func(m *etcdstate.Member) { m.RaftIndex = 900 }),
					edit(voter(1), func(m *etcdstate.Member) { m.RaftIndex = 1003 }),
					edit(voter(2), func(m *etcdstate.Member) { m.RaftIndex = 950 }),
					edit(voter(3), func(m *etcdstate.Member) { m.RaftIndex = 1001 }),
					edit(leading(voter(4)), func(m *etcdstate.Member) { m.RaftIndex = 1005 }),
				)},
			want: Step{
				Action:     ActionMoveLeader,
				Target:     "demo-4",
				TargetID:   memberID(4),
				TransferTo: memberID(1),
				Membership: existing(5, pods(5)...),
				Current:    existing(5, pods(5)...),
			},
		},
		{
			name: "scale down removes the highest ordinal",
			in:   Input{Size: 3, Replicas: 5, Formed: true, Cluster: snapshot(voters(5)...)},
			want: Step{
				Action:     ActionRemove,
				Target:     "demo-4",
				TargetID:   memberID(4),
				Membership: existing(4, pods(4)...),
				Current:    existing(5, pods(5)...),
			},
		},
		{
			name: "scale down 3 to 1 removes demo-2",
			in:   Input{Size: 1, Replicas: 3, Formed: true, Cluster: snapshot(voters(3)...)},
			want: Step{
				Action: ActionRemove, Target: "demo-2", TargetID: memberID(2),
				Membership: existing(2, "demo-0", "demo-1"),
				Current:    existing(3, pods(3)...),
			},
		},
		{
			name: "half-done add: the member exists, its pod does not",
			in: Input{Size: 5, Replicas: 3, Formed: true, MaxLearnerLag: lag,
				Cluster: snapshot(append(voters(3), unstarted(3))...)},
			want: Step{Membership: existing(4, pods(4)...), Current: existing(4, pods(4)...)},
		},
		{
			name: "half-done add waits for a removed member's pod or claim still there",
			in: Input{Size: 5, Replicas: 3, Formed: true, MaxLearnerLag: lag, Lingering: map[string]bool{"demo-3": true},
				Cluster: snapshot(append(voters(3), unstarted(3))...)},
			want:        Step{Membership: existing(3, pods(4)...), Current: existing(3, pods(4)...)},
			wantBlocked: "removed member demo-3",
		},
		{
			name: "scale up right after a scale-down waits for the removed member's pod and claim",
			in: Input{Size: 3, Replicas: 1, Formed: true, Lingering: map[string]bool{"demo-1": true},
				Cluster: snapshot(voters(1)...)},
			want:        Step{Membership: existing(1, "demo-0"), Current: existing(1, "demo-0")},
			wantBlocked: "removed member demo-1",
		},
		{
			name: "a lingering pod above the next ordinal does not block",
			in:   Input{Size: 3, Replicas: 1, Formed: true, Lingering: map[string]bool{"demo-2": true}, Cluster: snapshot(voters(1)...)},
			want: Step{
				Action:     ActionAddLearner,
				Target:     "demo-1",
				PeerURL:    peerURL("demo-1"),
				Membership: existing(2, "demo-0", "demo-1"),
				Current:    existing(1, "demo-0"),
			},
		},
		{
			name: "half-done remove: the pod runs, its member is gone",
			in:   Input{Size: 2, Replicas: 3, Formed: true, Cluster: snapshot(voters(2)...)},
			want: Step{Membership: existing(2, "demo-0", "demo-1"), Current: existing(2, "demo-0", "demo-1")},
		},
		{
			name: "a voter whose data is gone is replaced, and its pod restarted on fresh storage",
			in: Input{Size: 3, Replicas: 3, Formed: true, DataLost: map[string]bool{"demo-2": true},
				Cluster: snapshot(voter(0), leading(voter(1)), down(2))},
			want: Step{
				Action: ActionReplace, Target: "demo-2", TargetID: memberID(2), PeerURL: peerURL("demo-2"),
				Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...), RestartPod: true, DeleteClaim: true,
			},
		},
		{
			name: "a learner whose data is gone is replaced too, on fresh storage",
			in: Input{Size: 3, Replicas: 3, Formed: true, MaxLearnerLag: lag, DataLost: map[string]bool{"demo-2": true},
				Cluster: snapshot(append(voters(2), edit(learner(2, raftIndex), func(m *etcdstate.Member) {
					m.Reached, m.Errors = false, []string{"context deadline exceeded"}
				}))...)},
			want: Step{
				Action: ActionReplace, Target: "demo-2", TargetID: memberID(2), PeerURL: peerURL("demo-2"),
				Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...), RestartPod: true, DeleteClaim: true,
			},
		},
		{
			name: "a learner whose data is gone but that the spec no longer wants is removed, not replaced",
			in: Input{Size: 3, Replicas: 4, Formed: true, MaxLearnerLag: lag, DataLost: map[string]bool{"demo-3": true},
				Cluster: snapshot(append(voters(3), edit(learner(3, raftIndex), func(m *etcdstate.Member) {
					m.Reached, m.Errors = false, []string{"context deadline exceeded"}
				}))...)},
			want: Step{
				Action: ActionRemove, Target: "demo-3", TargetID: memberID(3),
				Membership: existing(4, pods(3)...), Current: existing(4, pods(4)...),
			},
		},
		{
			name: "a voter whose data is gone waits while replacing it would lose quorum",
			in: Input{Size: 3, Replicas: 3, Formed: true, DataLost: map[string]bool{"demo-2": true},
				Cluster: snapshot(leading(voter(0)), down(1), down(2))},
			want:        Step{Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...)},
			wantBlocked: "would lose quorum",
		},
		{
			name: "a healthy voter is not replaced, whatever its data holder says",
			in: Input{Size: 3, Replicas: 3, Formed: true, DataLost: map[string]bool{"demo-2": true},
				Cluster: snapshot(voters(3)...)},
			want: Step{Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...)},
		},
		{
			name: "a replacement half done: the pod without a member is added back and restarted on fresh storage",
			in:   Input{Size: 3, Replicas: 3, Formed: true, Cluster: snapshot(voters(2)...)},
			want: Step{
				Action: ActionAddLearner, Target: "demo-2", PeerURL: peerURL("demo-2"),
				Membership: existing(3, pods(3)...), Current: existing(3, "demo-0", "demo-1"), RestartPod: true, DeleteClaim: true,
			},
		},
		{
			name: "a learner whose pod runs a removed member's data gets fresh storage",
			in: Input{Size: 3, Replicas: 3, Formed: true, MaxLearnerLag: lag, RemovedData: map[string]bool{"demo-2": true},
				Cluster: snapshot(append(voters(2), unstarted(2))...)},
			want: Step{
				Action: ActionReset, Target: "demo-2", TargetID: memberID(2),
				Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...), RestartPod: true, DeleteClaim: true,
			},
		},
		{
			name: "a learner that has not started while etcd ran in its pod for the grace gets fresh storage",
			in: Input{Size: 3, Replicas: 3, Formed: true, MaxLearnerLag: lag, LearnerStartGrace: time.Minute,
				EtcdUp:  map[string]time.Duration{"demo-0": time.Hour, "demo-1": time.Hour, "demo-2": time.Minute},
				Cluster: snapshot(append(voters(2), unstarted(2))...)},
			want: Step{
				Action: ActionReset, Target: "demo-2", TargetID: memberID(2),
				Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...), RestartPod: true, DeleteClaim: true,
			},
		},
		{
			name: "a learner that has not started is waited for within the grace",
			in: Input{Size: 3, Replicas: 3, Formed: true, MaxLearnerLag: lag, LearnerStartGrace: time.Minute,
				EtcdUp:  map[string]time.Duration{"demo-0": time.Hour, "demo-1": time.Hour, "demo-2": 59 * time.Second},
				Cluster: snapshot(append(voters(2), unstarted(2))...)},
			want:        Step{Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...), Nudge: true},
			wantBlocked: "waiting for learner demo-2",
		},
		{
			name: "a started learner is not reset, however long its etcd has run",
			in: Input{Size: 3, Replicas: 3, Formed: true, MaxLearnerLag: lag, LearnerStartGrace: time.Minute,
				EtcdUp: map[string]time.Duration{"demo-0": time.Hour, "demo-1": time.Hour, "demo-2": time.Hour},
				Cluster: snapshot(append(voters(2), edit(learner(2, raftIndex), func(m *etcdstate.Member) {
					m.Reached, m.Errors = false, []string{"context deadline exceeded"}
				}))...)},
			want:        Step{Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...), Nudge: true},
			wantBlocked: "waiting for learner demo-2",
		},
		{
			name: "a learner that answers is promoted, whatever its pod's last exit",
			in: Input{Size: 3, Replicas: 3, Formed: true, MaxLearnerLag: lag, RemovedData: map[string]bool{"demo-2": true},
				Cluster: snapshot(append(voters(2), learner(2, raftIndex))...)},
			want: Step{
				Action: ActionPromote, Target: "demo-2", TargetID: memberID(2),
				Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...),
			},
		},
		{
			name: "etcd unreachable holds the known members",
			in: Input{Size: 5, Replicas: 3, Formed: true,
				KnownMembers: []string{"demo-2", "demo-0", "demo-1"}},
			want:        Step{Membership: existing(3, pods(3)...), Current: existing(3, pods(3)...)},
			wantBlocked: "did not answer",
		},
	}
	decided := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Namer = namer
			got := Plan(tt.in)
			decided[got.Rule] = true
			if tt.rule != "" && got.Rule != tt.rule {
				t.Errorf("decided by rule %q, want %q", got.Rule, tt.rule)
			}
			got.Rule = ""
			blocked := got.Blocked
			got.Blocked = ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Plan returned\n  %s\nwant\n  %s", describe(got), describe(tt.want))
			}
			switch {
			case tt.wantBlocked == "" && blocked != "":
				t.Errorf("Plan is blocked (%q), want not blocked", blocked)
			case tt.wantBlocked != "" && !strings.Contains(blocked, tt.wantBlocked):
				t.Errorf("Plan Blocked = %q, want it to contain %q", blocked, tt.wantBlocked)
			}
			if tt.wantBlocked != "" && got.Action != ActionNone {
				t.Errorf("a blocked plan has action %s", got.Action)
			}
		})
	}
	// Every rule decides at least one case of the table.
	for _, r := range bootstrapRules {
		if !decided[r.name] {
			t.Errorf("no case is decided by rule %s", r.name)
		}
	}
	for _, r := range memberRules {
		if !decided[r.name] {
			t.Errorf("no case is decided by rule %s", r.name)
		}
	}
}

func describe(s Step) string {
	return fmt.Sprintf("{Action:%q Target:%q TargetID:%x TransferTo:%x PeerURL:%q Membership:%+v Current:%+v RestartPod:%v DeleteClaim:%v Nudge:%v}",
		s.Action, s.Target, s.TargetID, s.TransferTo, s.PeerURL, s.Membership, s.Current, s.RestartPod, s.DeleteClaim, s.Nudge)
}

func TestPlanDoesNotModifyInput(t *testing.T) {
	known := []string{"demo-2", "demo-0", "demo-1"}
	Plan(Input{Namer: namer, Size: 3, Replicas: 3, Formed: true, KnownMembers: known})
	if !slices.Equal(known, []string{"demo-2", "demo-0", "demo-1"}) {
		t.Fatalf("Plan reordered KnownMembers: %v", known)
	}

	ms := voters(3)
	orig := slices.Clone(ms)
	step := Plan(Input{Namer: namer, Size: 5, Replicas: 3, Formed: true, Cluster: snapshot(ms...)})
	if !reflect.DeepEqual(ms, orig) {
		t.Fatalf("Plan changed the member list")
	}
	// The rendered and current memberships must not share a backing array:
	// the controller renders one or the other.
	step.Membership.InitialMembers[0] = "changed"
	if step.Current.InitialMembers[0] == "changed" {
		t.Fatal("Step.Membership and Step.Current share their InitialMembers")
	}
}

// TestPlanConverges runs Plan against a model of etcd and a StatefulSet
// until it holds, as the controller would, and checks that every scaling
// ends at spec.size with one change at a time. With interrupt, every
// replica change after an etcd change is lost once, as when the operator
// restarts between the two.
func TestPlanConverges(t *testing.T) {
	tests := []struct {
		from, to int
		// leader is the ordinal of the leading member.
		leader   int
		wantActs []Action
		// wantMoves is the least number of leadership moves.
		wantMoves int
	}{
		{1, 3, 0, []Action{ActionAddLearner, ActionPromote, ActionAddLearner, ActionPromote}, 0},
		{3, 5, 0, []Action{ActionAddLearner, ActionPromote, ActionAddLearner, ActionPromote}, 0},
		{3, 5, 2, []Action{ActionAddLearner, ActionPromote, ActionAddLearner, ActionPromote}, 0},
		{3, 4, 0, []Action{ActionAddLearner, ActionPromote}, 0},
		{5, 3, 0, []Action{ActionRemove, ActionRemove}, 0},
		{5, 3, 4, []Action{ActionRemove, ActionRemove}, 1},
		{3, 1, 0, []Action{ActionRemove, ActionRemove}, 0},
		{3, 1, 2, []Action{ActionRemove, ActionRemove}, 1},
		{3, 3, 1, nil, 0},
	}
	for _, tt := range tests {
		for _, interrupt := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d to %d leader demo-%d interrupted %v", tt.from, tt.to, tt.leader, interrupt), func(t *testing.T) {
				w := newWorld(tt.from)
				w.leader = memberID(tt.leader)
				var acts []Action
				lost := map[string]bool{}
				for pass := 0; ; pass++ {
					if pass > 40 {
						t.Fatalf("no convergence after %d passes: actions %v, members %v, replicas %d", pass, acts, w.names(), w.replicas)
					}
					step := Plan(Input{Namer: namer, Size: int32(tt.to), Replicas: w.replicas, Formed: true,
						Cluster: w.snapshot(), MaxLearnerLag: 1000})
					if step.Action == ActionNone && step.Blocked == "" && step.Membership.Replicas == w.replicas {
						break
					}
					if step.Action != ActionNone {
						acts = append(acts, step.Action)
					}
					w.do(t, step)
					key := string(step.Action) + step.Target
					if interrupt && step.Action != ActionNone && step.Action != ActionMoveLeader && !lost[key] {
						lost[key] = true
						w.scale(step.Current.Replicas)
					} else {
						w.scale(step.Membership.Replicas)
					}
					checkMajority(t, w, tt.from, tt.to)
				}
				var withoutMoves []Action
				for _, a := range acts {
					if a != ActionMoveLeader {
						withoutMoves = append(withoutMoves, a)
					}
				}
				if !slices.Equal(withoutMoves, tt.wantActs) {
					t.Errorf("actions = %v, want %v (leader moves aside)", acts, tt.wantActs)
				}
				// transferee breaks raft index ties in map order, so it may
				// hand leadership to a member removed next: allow one move
				// per removal, but at least wantMoves.
				if moves := len(acts) - len(withoutMoves); moves < tt.wantMoves || moves > max(tt.wantMoves, tt.from-tt.to) {
					t.Errorf("leadership moved %d times (%v), want %d", moves, acts, tt.wantMoves)
				}
				if got, want := w.names(), pods(tt.to); !slices.Equal(got, want) {
					t.Errorf("members = %v, want %v", got, want)
				}
				if w.replicas != int32(tt.to) {
					t.Errorf("replicas = %d, want %d", w.replicas, tt.to)
				}
				for _, m := range w.members {
					if m.Learner {
						t.Errorf("member %s is still a learner", m.Name)
					}
				}
			})
		}
	}
}

func TestPlanMovesLeaderBeforeRemovingIt(t *testing.T) {
	w := newWorld(3)
	w.leader = memberID(2)
	step := Plan(Input{Namer: namer, Size: 2, Replicas: 3, Formed: true, Cluster: w.snapshot()})
	if step.Action != ActionMoveLeader || step.Target != "demo-2" || step.TransferTo == 0 || step.TransferTo == memberID(2) {
		t.Fatalf("Plan = %s, want a move of leadership away from demo-2", describe(step))
	}
	w.do(t, step)
	step = Plan(Input{Namer: namer, Size: 2, Replicas: 3, Formed: true, Cluster: w.snapshot()})
	if step.Action != ActionRemove || step.Target != "demo-2" {
		t.Fatalf("after the move Plan = %s, want Remove demo-2", describe(step))
	}
}

// checkMajority fails when voters drop below a majority of the larger of
// the sizes: one change at a time keeps quorum.
func checkMajority(t *testing.T, w *world, from, to int) {
	t.Helper()
	voting := 0
	for _, m := range w.members {
		if !m.Learner {
			voting++
		}
	}
	if voting < min(from, to) {
		t.Fatalf("only %d voters left while scaling %d to %d", voting, from, to)
	}
}

// world models etcd's members and the StatefulSet's replicas.
type world struct {
	members  []etcdstate.Member
	replicas int32
	leader   uint64
}

func newWorld(n int) *world {
	w := &world{replicas: int32(n), leader: memberID(0)}
	for i := range n {
		w.members = append(w.members, voter(i))
	}
	return w
}

func (w *world) names() []string {
	var out []string
	for _, m := range w.members {
		out = append(out, namer.Name(m))
	}
	slices.Sort(out)
	return out
}

func (w *world) snapshot() *etcdstate.Cluster {
	ms := slices.Clone(w.members)
	for i := range ms {
		ms[i].Leader = ms[i].ID == w.leader
	}
	return snapshot(ms...)
}

// scale sets the replicas; a pod that starts makes its added member start.
func (w *world) scale(replicas int32) {
	w.replicas = replicas
	for i, m := range w.members {
		name := namer.Name(m)
		if m.Name == "" && resources.Ordinal(clusterName, name) < replicas {
			w.members[i] = learner(int(resources.Ordinal(clusterName, name)), raftIndex)
		}
	}
}

func (w *world) find(id uint64) int {
	return slices.IndexFunc(w.members, func(m etcdstate.Member) bool { return m.ID == id })
}

func (w *world) do(t *testing.T, s Step) {
	t.Helper()
	switch s.Action {
	case ActionNone:
	case ActionAddLearner:
		var i int
		if _, err := fmt.Sscanf(s.Target, clusterName+"-%d", &i); err != nil {
			t.Fatalf("AddLearner of %q, not a pod of %s", s.Target, clusterName)
		}
		if s.PeerURL != peerURL(s.Target) {
			t.Fatalf("AddLearner of %s with peer URL %q, want %q", s.Target, s.PeerURL, peerURL(s.Target))
		}
		w.members = append(w.members, unstarted(i))
	case ActionPromote:
		i := w.find(s.TargetID)
		if i < 0 || !w.members[i].Learner || !w.members[i].Reached {
			t.Fatalf("Promote of %s (%x), which is not a started learner", s.Target, s.TargetID)
		}
		w.members[i].Learner = false
	case ActionMoveLeader:
		if s.TargetID != w.leader {
			t.Fatalf("MoveLeader from %s, which is not the leader", s.Target)
		}
		if i := w.find(s.TransferTo); i < 0 || w.members[i].Learner {
			t.Fatalf("MoveLeader to %x, which is not a voter", s.TransferTo)
		}
		w.leader = s.TransferTo
	case ActionRemove:
		i := w.find(s.TargetID)
		if i < 0 {
			t.Fatalf("Remove of %s (%x), which is not a member", s.Target, s.TargetID)
		}
		if s.TargetID == w.leader {
			t.Fatalf("Remove of the leader %s", s.Target)
		}
		w.members = slices.Delete(w.members, i, i+1)
	default:
		t.Fatalf("unknown action %q", s.Action)
	}
}

func TestNamerName(t *testing.T) {
	tests := []struct {
		name   string
		member etcdstate.Member
		want   string
	}{
		{"started member with the chart's URL", voter(1), "demo-1"},
		{"started member with a non-chart URL falls back to its name",
			edit(voter(1), func(m *etcdstate.Member) { m.PeerURLs = []string{"http://10.0.0.7:2380"} }), "demo-1"},
		{"started member with a foreign name",
			etcdstate.Member{ID: 7, Name: "etcd-a", PeerURLs: []string{"https://etcd-a.example.com:2380"}}, "etcd-a"},
		{"added but unstarted member is named after its pod", unstarted(3), "demo-3"},
		{"added but unstarted member with the URL second",
			edit(unstarted(2), func(m *etcdstate.Member) { m.PeerURLs = []string{"http://10.0.0.9:2380", peerURL("demo-2")} }), "demo-2"},
		{"unstarted member of another cluster keeps its URL",
			etcdstate.Member{ID: 9, PeerURLs: []string{"http://other-1.other-peer.ns.svc.cluster.local:2380"}},
			"http://other-1.other-peer.ns.svc.cluster.local:2380"},
		{"member without name or URL is named by its ID", etcdstate.Member{ID: 0xabc}, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := namer.Name(tt.member); got != tt.want {
				t.Errorf("Name(%+v) = %q, want %q", tt.member, got, tt.want)
			}
		})
	}
}
