package controller

import (
	"maps"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

func TestPodIPEndpoints(t *testing.T) {
	pods := map[string]*corev1.Pod{
		"c-0": {Status: corev1.PodStatus{PodIP: "10.0.0.7"}},
		"c-1": {Status: corev1.PodStatus{PodIP: ""}},
		"c-2": {Status: corev1.PodStatus{PodIP: "fd00::2"}},
	}
	members := []MemberPod{memberPod("c-0", pods), memberPod("c-1", pods), memberPod("c-2", pods), memberPod("c-3", pods)}
	got := PodIPEndpoints(nil, members)
	want := []string{"http://10.0.0.7:2379", "http://[fd00::2]:2379"}
	if !slices.Equal(got, want) {
		t.Fatalf("PodIPEndpoints = %v, want %v (pods without an address or not created are left out)", got, want)
	}
}

func TestLingering(t *testing.T) {
	ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Name: "c"}}
	pods := map[string]*corev1.Pod{"c-0": {}, "c-1": {}, "c-3": {}, "other-7": {}}
	claims := map[string]*corev1.PersistentVolumeClaim{"c-0": {}, "c-2": {}, "c-01": {}}
	got := lingering(ec, 1, pods, claims)
	want := map[string]bool{"c-1": true, "c-2": true, "c-3": true}
	if !maps.Equal(got, want) {
		t.Fatalf("lingering(replicas=1) = %v, want %v (ordinals >= 1 with a pod or a claim; names of other clusters ignored)", got, want)
	}
}
