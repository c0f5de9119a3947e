package controller

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/membership"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// The pass right after a Replace: status still records the replaced member
// (ID a) as the one whose data was on the old claim, while etcd lists the
// new, unstarted learner (ID b) for the same pod, on a new claim. The
// learner has held no data: it must not be replaced a second time. With
// data loss judged by pod name, it was (issue: a probable double
// replacement).
func TestNoSecondReplacementRightAfterOne(t *testing.T) {
	ec := &etcdv1alpha1.EtcdCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"},
		Spec:       etcdv1alpha1.EtcdClusterSpec{Size: 3, Storage: etcdv1alpha1.StorageSpec{Type: etcdv1alpha1.StoragePersistentVolume}},
		Status: etcdv1alpha1.EtcdClusterStatus{ClusterID: "c1", Members: []etcdv1alpha1.MemberStatus{
			{Name: "c-0", ID: "1", DataUID: "claim-0"},
			{Name: "c-1", ID: "a", DataUID: "old"},
			{Name: "c-2", ID: "2", DataUID: "claim-2"},
		}},
	}
	names := resources.For(ec, "")
	peer := func(pod string) string { return names.PeerURL(pod) }
	voter := func(id uint64, pod string, leader bool) etcdstate.Member {
		return etcdstate.Member{ID: id, Name: pod, PeerURLs: []string{peer(pod)}, ClientURLs: []string{"http://" + pod},
			Reached: true, Leader: leader, RaftIndex: 100}
	}
	cluster := &etcdstate.Cluster{ID: 0xc1, LeaderID: 1, Members: []etcdstate.Member{
		voter(1, "c-0", true),
		{ID: 0xb, PeerURLs: []string{peer("c-1")}, Learner: true, Errors: []string{"not started"}},
		voter(2, "c-2", false),
	}}
	claim := func(pod, uid string, terminating bool) *corev1.PersistentVolumeClaim {
		c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: names.Claim(pod)}}
		c.UID = types.UID(uid)
		if terminating {
			now := metav1.Now()
			c.DeletionTimestamp = &now
		}
		return c
	}
	for _, tc := range []struct {
		name  string
		claim *corev1.PersistentVolumeClaim
	}{
		{"the new claim exists", claim("c-1", "new", false)},
		{"the old claim is still terminating", claim("c-1", "old-going", true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &pass{ec: ec, names: names, replicas: 3, cluster: cluster, formed: true,
				namer: membership.Namer{Cluster: "c", PeerURL: peer},
				claims: map[string]*corev1.PersistentVolumeClaim{
					"c-0": claim("c-0", "claim-0", false), "c-1": tc.claim, "c-2": claim("c-2", "claim-2", false)},
			}
			p.data = dataUIDs(p)
			if lost := dataLost(p, p.data); len(lost) != 0 {
				t.Fatalf("dataLost = %v, want none: the learner has held no data yet", lost)
			}
			if step := decide(p); step.Action == membership.ActionReplace {
				t.Fatalf("decided %s %s again (rule %s)", step.Action, step.Target, step.Rule)
			}
		})
	}
}
