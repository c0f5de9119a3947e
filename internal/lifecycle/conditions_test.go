package lifecycle

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// want is the expected status, reason and (optionally) message substring of
// one condition.
type want struct {
	status  metav1.ConditionStatus
	reason  string
	message string
}

func TestConditions(t *testing.T) {
	const (
		T = metav1.ConditionTrue
		F = metav1.ConditionFalse
	)
	quorumLost := DetectQuorumLoss(with(complete(3), func(o *Observation) {
		o.HealthyVoters = 1
		o.Unhealthy = []string{"demo-2", "demo-1"}
		o.Formed = true
	}), QuorumLossGrace)

	tests := []struct {
		name        string
		phase       etcdv1alpha1.Phase
		obs         Observation
		available   want
		progressing want
		degraded    want
	}{
		{
			name:        "creating, etcd not answering yet",
			phase:       etcdv1alpha1.PhaseCreating,
			obs:         Observation{Size: 3, Replicas: 3, PodsReady: 1},
			available:   want{F, etcdv1alpha1.ReasonBootstrapping, "does not answer"},
			progressing: want{T, etcdv1alpha1.ReasonCreating, "0 of 3 members ready"},
			degraded:    want{F, etcdv1alpha1.ReasonBootstrapping, "does not answer"},
		},
		{
			name:        "creating, two members up",
			phase:       etcdv1alpha1.PhaseCreating,
			obs:         with(complete(3), func(o *Observation) { o.HealthyVoters, o.PodsReady, o.Unhealthy = 2, 2, []string{"demo-2"} }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, "2 of 3 voting members healthy"},
			progressing: want{T, etcdv1alpha1.ReasonCreating, "2 of 3 members ready"},
			degraded:    want{T, etcdv1alpha1.ReasonMemberUnhealthy, "unhealthy: demo-2"},
		},
		{
			// The members serve (an alarm is not a member down): quorum
			// holds, and Degraded says what the alarm means.
			name:        "NOSPACE raised",
			phase:       etcdv1alpha1.PhaseRunning,
			obs:         with(complete(3), func(o *Observation) { o.Alarms = []string{"NOSPACE"} }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, ""},
			progressing: want{F, etcdv1alpha1.ReasonReconciled, ""},
			degraded:    want{T, etcdv1alpha1.ReasonAlarmRaised, "NOSPACE: the database reached its quota and etcd refuses writes"},
		},
		{
			name:        "running complete",
			phase:       etcdv1alpha1.PhaseRunning,
			obs:         complete(3),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, "3 of 3 voting members healthy"},
			progressing: want{F, etcdv1alpha1.ReasonReconciled, "3 members match the spec"},
			degraded:    want{F, etcdv1alpha1.ReasonMembersHealthy, "3 voting members healthy"},
		},
		{
			name:        "running single member complete",
			phase:       etcdv1alpha1.PhaseRunning,
			obs:         complete(1),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, "1 of 1"},
			progressing: want{F, etcdv1alpha1.ReasonReconciled, "1 members match the spec"},
			degraded:    want{F, etcdv1alpha1.ReasonMembersHealthy, ""},
		},
		{
			name:        "scaling up with a learner",
			phase:       etcdv1alpha1.PhaseScaling,
			obs:         with(complete(3), func(o *Observation) { o.Size, o.Replicas, o.Learners = 5, 4, 1 }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, "3 of 3"},
			progressing: want{T, etcdv1alpha1.ReasonScaling, "scaling to 5 members: 3 voting, 1 learning"},
			degraded:    want{F, etcdv1alpha1.ReasonMembersHealthy, ""},
		},
		{
			name:        "failed render on a healthy cluster",
			phase:       etcdv1alpha1.PhaseFailed,
			obs:         with(complete(3), func(o *Observation) { o.Failure = renderFailed }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, ""},
			progressing: want{F, etcdv1alpha1.ReasonRenderFailed, renderFailed.Message},
			degraded:    want{T, etcdv1alpha1.ReasonRenderFailed, renderFailed.Message},
		},
		{
			name:        "failed apply on a healthy cluster",
			phase:       etcdv1alpha1.PhaseFailed,
			obs:         with(complete(3), func(o *Observation) { o.Failure = applyFailed }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, ""},
			progressing: want{F, etcdv1alpha1.ReasonApplyFailed, applyFailed.Message},
			degraded:    want{T, etcdv1alpha1.ReasonApplyFailed, applyFailed.Message},
		},
		{
			name:        "quorum lost",
			phase:       etcdv1alpha1.PhaseFailed,
			obs:         quorumLost,
			available:   want{F, etcdv1alpha1.ReasonQuorumLost, "1 of 3 voting members healthy: no quorum"},
			progressing: want{F, etcdv1alpha1.ReasonQuorumLost, "1 of 3"},
			degraded:    want{T, etcdv1alpha1.ReasonQuorumLost, "1 of 3"},
		},
		{
			name:        "formed, no quorum within the grace: a leader election, not a failure yet",
			phase:       etcdv1alpha1.PhaseRunning,
			obs:         DetectQuorumLoss(Observation{Size: 3, Replicas: 3, Formed: true}, QuorumLossGrace/2),
			available:   want{F, etcdv1alpha1.ReasonNoQuorum, "QuorumLost if it lasts 10s"},
			progressing: want{F, etcdv1alpha1.ReasonReconciled, ""},
			degraded:    want{T, etcdv1alpha1.ReasonNoQuorum, "0 of 0 voting members healthy"},
		},
		{
			name:        "quorum lost, etcd unreachable",
			phase:       etcdv1alpha1.PhaseFailed,
			obs:         DetectQuorumLoss(Observation{Size: 3, Replicas: 3, Formed: true}, QuorumLossGrace),
			available:   want{F, etcdv1alpha1.ReasonQuorumLost, "no quorum"},
			progressing: want{F, etcdv1alpha1.ReasonQuorumLost, ""},
			degraded:    want{T, etcdv1alpha1.ReasonQuorumLost, ""},
		},
		{
			name:        "member unhealthy, quorum kept",
			phase:       etcdv1alpha1.PhaseRunning,
			obs:         with(complete(3), func(o *Observation) { o.HealthyVoters, o.Unhealthy = 2, []string{"demo-1"} }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, "2 of 3"},
			progressing: want{F, etcdv1alpha1.ReasonReconciled, ""},
			degraded:    want{T, etcdv1alpha1.ReasonMemberUnhealthy, "unhealthy: demo-1"},
		},
		{
			name:        "unhealthy members are listed sorted",
			phase:       etcdv1alpha1.PhaseRunning,
			obs:         with(complete(5), func(o *Observation) { o.HealthyVoters, o.Unhealthy = 3, []string{"demo-4", "demo-0"} }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, "3 of 5"},
			progressing: want{F, etcdv1alpha1.ReasonReconciled, ""},
			degraded:    want{T, etcdv1alpha1.ReasonMemberUnhealthy, "unhealthy: demo-0, demo-4"},
		},
		{
			name:        "paused",
			phase:       etcdv1alpha1.PhaseRunning,
			obs:         with(complete(3), func(o *Observation) { o.Paused = true; o.Size = 5 }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, ""},
			progressing: want{F, etcdv1alpha1.ReasonPaused, "spec.paused"},
			degraded:    want{F, etcdv1alpha1.ReasonMembersHealthy, ""},
		},
		{
			name:        "paused wins over a failure in progressing",
			phase:       etcdv1alpha1.PhaseFailed,
			obs:         with(complete(3), func(o *Observation) { o.Paused = true; o.Failure = applyFailed }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, ""},
			progressing: want{F, etcdv1alpha1.ReasonPaused, ""},
			degraded:    want{T, etcdv1alpha1.ReasonApplyFailed, ""},
		},
		{
			name:  "scale blocked",
			phase: etcdv1alpha1.PhaseScaling,
			obs: with(complete(3), func(o *Observation) {
				o.Size, o.HealthyVoters = 5, 2
				o.Unhealthy = []string{"demo-2"}
				o.ScaleBlocked = "members unhealthy: demo-2"
			}),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, ""},
			progressing: want{F, etcdv1alpha1.ReasonScaleBlocked, "members unhealthy: demo-2"},
			degraded:    want{T, etcdv1alpha1.ReasonMemberUnhealthy, "demo-2"},
		},
		{
			name:        "scale blocked note is ignored once complete",
			phase:       etcdv1alpha1.PhaseRunning,
			obs:         with(complete(3), func(o *Observation) { o.ScaleBlocked = "etcd did not answer" }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, ""},
			progressing: want{F, etcdv1alpha1.ReasonReconciled, ""},
			degraded:    want{F, etcdv1alpha1.ReasonMembersHealthy, ""},
		},
		{
			name:        "failure wins over scale blocked",
			phase:       etcdv1alpha1.PhaseFailed,
			obs:         with(complete(3), func(o *Observation) { o.Size, o.ScaleBlocked, o.Failure = 5, "waiting", renderFailed }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, ""},
			progressing: want{F, etcdv1alpha1.ReasonRenderFailed, ""},
			degraded:    want{T, etcdv1alpha1.ReasonRenderFailed, ""},
		},
		{
			name:        "rolling update",
			phase:       etcdv1alpha1.PhaseRunning,
			obs:         with(complete(3), func(o *Observation) { o.RolloutPending = true; o.PodsReady = 2 }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, ""},
			progressing: want{T, etcdv1alpha1.ReasonRollingUpdate, "new pod template"},
			degraded:    want{F, etcdv1alpha1.ReasonMembersHealthy, ""},
		},
		{
			name:        "upgrade refused",
			phase:       etcdv1alpha1.PhaseRunning,
			obs:         with(complete(3), func(o *Observation) { o.UpgradeRefused = "set spec.version to 3.5.32 first" }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, ""},
			progressing: want{F, etcdv1alpha1.ReasonUpgradeRefused, "3.5.32 first"},
			degraded:    want{F, etcdv1alpha1.ReasonMembersHealthy, ""},
		},
		{
			name:  "rolling update halted",
			phase: etcdv1alpha1.PhaseRunning,
			obs: with(complete(3), func(o *Observation) {
				o.RolloutPending, o.PodsReady, o.HealthyVoters = true, 2, 2
				o.Unhealthy = []string{"demo-2"}
				o.RolloutHalted = "demo-2 fails on the new pod template (ImagePullBackOff)"
			}),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, ""},
			progressing: want{F, etcdv1alpha1.ReasonRollingUpdateHalted, "ImagePullBackOff"},
			degraded:    want{T, etcdv1alpha1.ReasonMemberUnhealthy, "demo-2"},
		},
		{
			name:        "recovering",
			phase:       etcdv1alpha1.PhaseRecovering,
			obs:         with(complete(3), func(o *Observation) { o.HealthyVoters, o.Unhealthy = 2, []string{"demo-0"} }),
			available:   want{T, etcdv1alpha1.ReasonQuorumHealthy, ""},
			progressing: want{T, etcdv1alpha1.ReasonRecovering, "2 of 3 members healthy"},
			degraded:    want{T, etcdv1alpha1.ReasonMemberUnhealthy, "demo-0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Conditions(tt.phase, tt.obs)
			wantTypes := []string{etcdv1alpha1.ConditionAvailable, etcdv1alpha1.ConditionProgressing, etcdv1alpha1.ConditionDegraded}
			if len(got) != len(wantTypes) {
				t.Fatalf("Conditions returned %d conditions, want %d: %+v", len(got), len(wantTypes), got)
			}
			for i, w := range []want{tt.available, tt.progressing, tt.degraded} {
				c := got[i]
				if c.Type != wantTypes[i] {
					t.Errorf("condition %d has type %q, want %q", i, c.Type, wantTypes[i])
					continue
				}
				if c.Status != w.status || c.Reason != w.reason {
					t.Errorf("%s = %s/%s (%q), want %s/%s", c.Type, c.Status, c.Reason, c.Message, w.status, w.reason)
				}
				if !strings.Contains(c.Message, w.message) {
					t.Errorf("%s message = %q, want it to contain %q", c.Type, c.Message, w.message)
				}
				checkValidCondition(t, c)
			}
		})
	}
}

// reasonPattern is the API server's validation of metav1.Condition.Reason.
var reasonPattern = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`)

// checkValidCondition fails when the API server would reject c.
func checkValidCondition(t *testing.T, c metav1.Condition) {
	t.Helper()
	if c.Status != metav1.ConditionTrue && c.Status != metav1.ConditionFalse && c.Status != metav1.ConditionUnknown {
		t.Errorf("%s has invalid status %q", c.Type, c.Status)
	}
	if len(c.Reason) == 0 || len(c.Reason) > 1024 || !reasonPattern.MatchString(c.Reason) {
		t.Errorf("%s has reason %q, which the API server rejects", c.Type, c.Reason)
	}
	if len(c.Message) > 32768 {
		t.Errorf("%s message is %d bytes, more than the API server's 32768", c.Type, len(c.Message))
	}
	if c.Message == "" {
		t.Errorf("%s has an empty message", c.Type)
	}
}

func TestConditionsDoNotReorderUnhealthy(t *testing.T) {
	o := with(complete(3), func(o *Observation) { o.HealthyVoters, o.Unhealthy = 1, []string{"demo-2", "demo-0"} })
	Conditions(etcdv1alpha1.PhaseRunning, o)
	if o.Unhealthy[0] != "demo-2" || o.Unhealthy[1] != "demo-0" {
		t.Fatalf("Conditions sorted the caller's Unhealthy slice in place: %v", o.Unhealthy)
	}
}

func TestDegradedMessageIsBounded(t *testing.T) {
	names := make([]string, 5000)
	for i := range names {
		names[i] = fmt.Sprintf("member-with-a-rather-long-name-%04d", i)
	}
	o := with(complete(3), func(o *Observation) { o.HealthyVoters, o.Unhealthy = 2, names })
	for _, c := range Conditions(etcdv1alpha1.PhaseRunning, o) {
		checkValidCondition(t, c)
		if c.Type == etcdv1alpha1.ConditionDegraded && !strings.HasPrefix(c.Message, "unhealthy: member-with-a-rather-long-name-0000, ") {
			t.Errorf("Degraded message starts with %q, want the sorted member list", c.Message[:60])
		}
	}
}

func TestConditionsForEveryPhaseAreValid(t *testing.T) {
	observations := map[string]Observation{
		"zero":         {},
		"bootstrap":    {Size: 3, Replicas: 3},
		"complete":     complete(3),
		"render error": with(complete(3), func(o *Observation) { o.Failure = renderFailed }),
		"quorum lost":  DetectQuorumLoss(with(complete(3), func(o *Observation) { o.HealthyVoters = 0; o.Formed = true }), QuorumLossGrace),
	}
	for _, phase := range allPhases {
		for name, o := range observations {
			t.Run(string(phase)+"/"+name, func(t *testing.T) {
				for _, c := range Conditions(phase, o) {
					checkValidCondition(t, c)
				}
			})
		}
	}
}
