package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcd/etcdfake"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
	"github.com/etcd-operator/etcd-operator/internal/membership"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// upgradePass is a settled 3.5.21 cluster whose StatefulSet runs 3.5.21
// pinned by digest, asked for spec version want.
func upgradePass(want string) *pass {
	ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c"}}
	ec.Spec.Version, ec.Spec.ImageDigest = want, "sha256:new"
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{versionLabel: "3.5.21"}}}
	sts.Spec.Template.Spec.Containers = []corev1.Container{{Name: "etcd", Image: "quay.io/coreos/etcd@sha256:old"}}
	cl := &etcdstate.Cluster{ID: 1, LeaderID: 1}
	for i, name := range []string{"c-0", "c-1", "c-2"} {
		cl.Members = append(cl.Members, etcdstate.Member{ID: uint64(i + 1), Name: name, Reached: true, Version: "3.5.21", Leader: i == 0})
	}
	pods := map[string]*corev1.Pod{}
	for i, m := range cl.Members {
		pods[m.Name] = &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: m.Name}, Status: corev1.PodStatus{PodIP: "10.0.0." + string(rune('1'+i))}}
	}
	p := &pass{ec: ec, sts: sts, cluster: cl, pods: pods, clusterVersion: "3.5.0", namer: membership.Namer{Cluster: "c"}}
	p.upgrade = upgradeVerdict(p)
	p.heldVersion, p.heldDigest = held(p)
	return p
}

// A refused upgrade renders the version and image the StatefulSet runs, so
// that no pod moves; an allowed one renders the spec.
func TestARefusedUpgradeHoldsTheRunningTemplate(t *testing.T) {
	p := upgradePass("3.6.16")
	if !p.upgrade.Refused || p.upgrade.GoFirst != "3.5.32" {
		t.Fatalf("verdict %+v, want refused with 3.5.32 first", p.upgrade)
	}
	if got := renderedCluster(p).Spec; got.Version != "3.5.21" || got.ImageDigest != "sha256:old" {
		t.Fatalf("rendered %s@%s, want the running 3.5.21@sha256:old", got.Version, got.ImageDigest)
	}
	if p.ec.Spec.Version != "3.6.16" {
		t.Fatal("the hold changed the object itself")
	}
	if o := observation(p, membership.Step{}, outcome{}, func(lifecycle.Observation) time.Duration { return 0 }); !strings.Contains(o.UpgradeRefused, "3.5.32") {
		t.Fatalf("observation says %q, want the release to go to first", o.UpgradeRefused)
	}

	p = upgradePass("3.5.32")
	if p.upgrade.Refused || renderedCluster(p) != p.ec {
		t.Fatalf("a patch upgrade was held: %+v", p.upgrade)
	}
}

// The cluster version is asked only while the members' lowest minor is not
// the one status holds.
func TestClusterVersionIsAskedOnlyWhileItMayChange(t *testing.T) {
	for _, tc := range []struct {
		name, status, answer, want string
	}{
		// The fake answers 3.6.0: status is kept, so etcd was not asked.
		{name: "status already holds the members' minor", status: "3.5.0", answer: "3.6.0", want: "3.5.0"},
		{name: "never read", answer: "3.5.0", want: "3.5.0"},
		{name: "members moved on", status: "3.4.0", answer: "3.5.0", want: "3.5.0"},
		{name: "etcd has not decided", answer: "", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := upgradePass("3.5.21")
			p.ec.Status.ClusterVersion = tc.status
			fake := &etcdfake.Cluster{Version: tc.answer}
			p.client = fake
			r := &EtcdClusterReconciler{Network: resources.PodNetwork{}}
			r.observeClusterVersion(context.Background(), p)
			if p.clusterVersion != tc.want {
				t.Fatalf("cluster version %q, want %q", p.clusterVersion, tc.want)
			}
		})
	}
}

func TestFailingNamesWhyEtcdCannotRun(t *testing.T) {
	status := func(st corev1.ContainerStatus) *corev1.Pod {
		st.Name = "etcd"
		return &corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{st}}}
	}
	waiting := func(reason string) corev1.ContainerState {
		return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "back-off 10s"}}
	}
	exited := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2}}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"an image that cannot be pulled", status(corev1.ContainerStatus{Image: "etcd:v9", State: waiting("ErrImagePull")}), "ImagePullBackOff: image etcd:v9 cannot be pulled"},
		{"the same while kubelet backs off", status(corev1.ContainerStatus{Image: "etcd:v9", State: waiting("ImagePullBackOff")}), "ImagePullBackOff: image etcd:v9 cannot be pulled"},
		{"a crash loop", status(corev1.ContainerStatus{State: waiting("CrashLoopBackOff"), LastTerminationState: exited}), "CrashLoopBackOff: etcd exits with code 2"},
		{"a crash loop between its back-offs", status(corev1.ContainerStatus{RestartCount: 3, LastTerminationState: exited,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}), "CrashLoopBackOff: etcd exits with code 2"},
		{"a bad config", status(corev1.ContainerStatus{State: waiting("CreateContainerConfigError")}), "CreateContainerConfigError"},
		{"a container starting", status(corev1.ContainerStatus{State: waiting("ContainerCreating")}), ""},
		{"a member restarted once", status(corev1.ContainerStatus{RestartCount: 1, LastTerminationState: exited,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}), ""},
	} {
		if got := failing(tc.pod); got != tc.want {
			t.Errorf("%s: failing = %q, want %q", tc.name, got, tc.want)
		}
	}
}
