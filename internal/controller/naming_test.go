package controller

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
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
