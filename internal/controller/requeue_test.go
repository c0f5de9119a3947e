package controller

import (
	"testing"
	"time"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
	"github.com/etcd-operator/etcd-operator/internal/membership"
)

func TestRequeue(t *testing.T) {
	const settled = 33 * time.Second
	complete := lifecycle.Observation{Size: 3, Replicas: 3, PodsReady: 3, Reached: true, Voters: 3, HealthyVoters: 3}
	failed := func(reason string) lifecycle.Observation {
		o := complete
		o.Failure = &lifecycle.Failure{Reason: reason}
		return o
	}
	paused := complete
	paused.Paused = true
	creating := complete
	creating.PodsReady = 1

	tests := []struct {
		name  string
		phase etcdv1alpha1.Phase
		obs   lifecycle.Observation
		step  membership.Step
		want  time.Duration
	}{
		{"healthy and idle polls slowly", etcdv1alpha1.PhaseRunning, complete, membership.Step{}, settled},
		{"a membership step in flight polls fastest", etcdv1alpha1.PhaseRunning, complete, membership.Step{Action: membership.ActionPromote}, stepRequeue},
		{"scaling while a learner catches up polls fastest", etcdv1alpha1.PhaseScaling, creating, membership.Step{Blocked: "waiting for learner demo-3 to catch up"}, stepRequeue},
		{"scaling while etcd does not answer polls at the normal pace", etcdv1alpha1.PhaseScaling, lifecycle.Observation{Size: 3, Replicas: 3}, membership.Step{}, progressRequeue},
		{"creating polls fast", etcdv1alpha1.PhaseCreating, creating, membership.Step{}, progressRequeue},
		{"paused polls slowly", etcdv1alpha1.PhaseRunning, paused, membership.Step{}, settled},
		{"quorum lost backs off", etcdv1alpha1.PhaseFailed, failed(etcdv1alpha1.ReasonQuorumLost), membership.Step{}, failedRequeue},
		{"render failure waits for a spec change", etcdv1alpha1.PhaseFailed, failed(etcdv1alpha1.ReasonRenderFailed), membership.Step{}, 0},
		{"apply failure leaves backoff to the workqueue", etcdv1alpha1.PhaseFailed, failed(etcdv1alpha1.ReasonApplyFailed), membership.Step{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := requeue(tt.phase, tt.obs, tt.step, settled).RequeueAfter; got != tt.want {
				t.Fatalf("RequeueAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSettledPollIsJitteredAboveTheInterval(t *testing.T) {
	r := &EtcdClusterReconciler{SettledPoll: 10 * time.Second}
	seen := map[time.Duration]bool{}
	for range 50 {
		d := r.settledPoll()
		if d < 10*time.Second || d > 12*time.Second {
			t.Fatalf("settled poll %v outside [10s, 12s]", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Fatalf("50 polls all at %v: no jitter", seen)
	}
	if d := (&EtcdClusterReconciler{}).settledPoll(); d < DefaultSettledPoll {
		t.Fatalf("default settled poll %v below %v", d, DefaultSettledPoll)
	}
}
