package controller

import (
	"testing"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/membership"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// The data holder recorded in status is what tells a member that lost its
// data (and must be replaced) from one that is only down.
func TestMemberStatusesDataHolder(t *testing.T) {
	namer := membership.Namer{Cluster: "c", PeerURL: func(pod string) string { return "http://" + pod + ":2380" }}
	member := func(id uint64, learner, healthy bool) etcdstate.Member {
		m := etcdstate.Member{ID: id, Name: "c-1", PeerURLs: []string{"http://c-1:2380"}, Learner: learner, Reached: healthy}
		if !healthy {
			m.Errors = []string{"context deadline exceeded"}
		}
		return m
	}
	// Member 0xa was last healthy on the pod whose UID was "old".
	prev := []etcdv1alpha1.MemberStatus{{Name: "c-1", ID: "a", DataUID: "old"}}
	now := map[string]string{"c-1": "new"}

	cases := []struct {
		name   string
		member etcdstate.Member
		want   string
	}{
		{"the same member, down: keeps the old holder, so its loss is seen", member(0xa, false, false), "old"},
		{"the same member, healthy: records the holder it runs on now", member(0xa, false, true), "new"},
		{"its replacement, a learner not answering yet: has held nothing yet", member(0xb, true, false), ""},
		{"its replacement, a learner that answers: records the holder it runs on", member(0xb, true, true), "new"},
		{"its replacement, just promoted and not yet answering: has held nothing yet", member(0xb, false, false), ""},
		{"its replacement, healthy voter: records its holder", member(0xb, false, true), "new"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cluster := &etcdstate.Cluster{Members: []etcdstate.Member{tc.member}}
			got := memberStatuses(namer, cluster, prev, now)
			if len(got) != 1 || got[0].DataUID != tc.want {
				t.Fatalf("DataUID = %+v, want %q", got, tc.want)
			}
			ec := &etcdv1alpha1.EtcdCluster{Status: etcdv1alpha1.EtcdClusterStatus{Members: got}}
			p := &pass{ec: ec, names: resources.For(ec, ""), namer: namer, cluster: cluster}
			if lost := dataLost(p, now)["c-1"]; lost != (tc.want == "old") {
				t.Fatalf("dataLost = %v with DataUID %q", lost, tc.want)
			}
		})
	}
}
