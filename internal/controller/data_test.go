package controller

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/etcd-operator/etcd-operator/internal/resources"
)

func TestRemovedData(t *testing.T) {
	exited := func(code int32) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}
	}
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	pod := func(name, container string, state, last corev1.ContainerState) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{
				{Name: container, State: state, LastTerminationState: last},
			}},
		}
	}
	deleting := pod("c-5", resources.EtcdContainer, exited(0), corev1.ContainerState{})
	now := metav1.Now()
	deleting.DeletionTimestamp = &now

	pods := map[string]*corev1.Pod{
		"c-0": pod("c-0", resources.EtcdContainer, running, corev1.ContainerState{}),
		"c-1": pod("c-1", resources.EtcdContainer, running, exited(0)),                   // restarted after stopping itself
		"c-2": pod("c-2", resources.EtcdContainer, exited(0), corev1.ContainerState{}),   // stopped itself, not restarted yet
		"c-3": pod("c-3", resources.EtcdContainer, running, exited(2)),                   // a panic: not this
		"c-4": pod("c-4", "sidecar", exited(0), corev1.ContainerState{}),                 // not etcd
		"c-5": deleting,                                                                  // on its way out
		"c-6": pod("c-6", resources.EtcdContainer, corev1.ContainerState{}, exited(137)), // killed
	}
	want := map[string]bool{"c-1": true, "c-2": true}
	if got := removedData(pods); !reflect.DeepEqual(got, want) {
		t.Fatalf("removedData = %v, want %v", got, want)
	}
}

func TestEtcdUp(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	pod := func(startedAgo time.Duration, cs corev1.ContainerStatus) *corev1.Pod {
		start := metav1.NewTime(now.Add(-startedAgo))
		return &corev1.Pod{Status: corev1.PodStatus{StartTime: &start, ContainerStatuses: []corev1.ContainerStatus{cs}}}
	}
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	waiting := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
	deleting := pod(time.Hour, corev1.ContainerStatus{Name: resources.EtcdContainer, State: running})
	gone := metav1.NewTime(now)
	deleting.DeletionTimestamp = &gone

	pods := map[string]*corev1.Pod{
		"c-0": pod(time.Minute, corev1.ContainerStatus{Name: resources.EtcdContainer, State: running}),
		"c-1": pod(time.Hour, corev1.ContainerStatus{Name: resources.EtcdContainer, State: waiting, RestartCount: 3}), // crash-looping
		"c-2": pod(time.Hour, corev1.ContainerStatus{Name: resources.EtcdContainer, State: waiting}),                  // never started (image pull)
		"c-3": pod(time.Hour, corev1.ContainerStatus{Name: "sidecar", State: running}),                                // not etcd
		"c-4": deleting,
		"c-5": {}, // not started by the kubelet yet
	}
	want := map[string]time.Duration{"c-0": time.Minute, "c-1": time.Hour}
	if got := etcdUp(pods, now); !reflect.DeepEqual(got, want) {
		t.Fatalf("etcdUp = %v, want %v", got, want)
	}
}
