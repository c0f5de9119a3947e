package lifecycle

import (
	"reflect"
	"strings"
	"testing"
	"time"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// complete returns an observation of a cluster of size n that has exactly
// n healthy voters, n ready pods and nothing in flight.
func complete(n int32) Observation {
	return Observation{
		Size: n, Replicas: n, PodsReady: n,
		Reached: true, Voters: n, HealthyVoters: n,
	}
}

// with applies changes to a copy of o.
func with(o Observation, change func(*Observation)) Observation {
	change(&o)
	return o
}

var (
	renderFailed = &Failure{Reason: etcdv1alpha1.ReasonRenderFailed, Message: "values don't meet the specifications of the schema"}
	applyFailed  = &Failure{Reason: etcdv1alpha1.ReasonApplyFailed, Message: "applying StatefulSet demo: conflict"}
)

var allPhases = []etcdv1alpha1.Phase{
	etcdv1alpha1.PhaseNone,
	etcdv1alpha1.PhaseCreating,
	etcdv1alpha1.PhaseRunning,
	etcdv1alpha1.PhaseScaling,
	etcdv1alpha1.PhaseFailed,
	etcdv1alpha1.PhaseRecovering,
}

func TestNext(t *testing.T) {
	const (
		none       = etcdv1alpha1.PhaseNone
		creating   = etcdv1alpha1.PhaseCreating
		running    = etcdv1alpha1.PhaseRunning
		scaling    = etcdv1alpha1.PhaseScaling
		failed     = etcdv1alpha1.PhaseFailed
		recovering = etcdv1alpha1.PhaseRecovering
	)
	bootstrapping := Observation{Size: 3, Replicas: 3}
	partial := with(complete(3), func(o *Observation) { o.HealthyVoters, o.PodsReady = 2, 2 })

	tests := []struct {
		name string
		prev etcdv1alpha1.Phase
		obs  Observation
		want etcdv1alpha1.Phase
	}{
		// "" -> Creating
		{"new cluster starts creating", none, bootstrapping, creating},
		{"new cluster is creating even when already complete", none, complete(3), creating},

		// Creating -> Running
		{"creating while etcd does not answer", creating, bootstrapping, creating},
		{"creating while a member is unhealthy", creating, partial, creating},
		{"creating while pods are not ready", creating, with(complete(3), func(o *Observation) { o.PodsReady = 1 }), creating},
		{"creating while the StatefulSet rolls out", creating, with(complete(3), func(o *Observation) { o.RolloutPending = true }), creating},
		{"creating completes into running", creating, complete(3), running},
		{"single member cluster completes into running", creating, complete(1), running},

		// Running <-> Scaling
		{"running stays running when complete", running, complete(3), running},
		{"running scales up when size grows", running, with(complete(3), func(o *Observation) { o.Size = 5 }), scaling},
		{"running scales down when size shrinks", running, with(complete(5), func(o *Observation) { o.Size = 3 }), scaling},
		{"running with a learner is scaling", running, with(complete(3), func(o *Observation) { o.Learners = 1 }), scaling},
		{"running with replicas ahead of voters is scaling", running, with(complete(3), func(o *Observation) { o.Replicas = 4 }), scaling},
		{"running with a missing voter is scaling", running, with(complete(3), func(o *Observation) { o.Voters, o.HealthyVoters = 2, 2 }), scaling},
		{"running same size but unhealthy stays running", running, partial, running},
		{"running same size with rollout pending stays running", running, with(complete(3), func(o *Observation) { o.RolloutPending = true }), running},
		{"running same size with pods not ready stays running", running, with(complete(3), func(o *Observation) { o.PodsReady = 2 }), running},
		{"scaling keeps scaling while the learner catches up", scaling, with(complete(4), func(o *Observation) { o.Size, o.Voters, o.HealthyVoters, o.Learners = 5, 3, 3, 1 }), scaling},
		{"scaling keeps scaling while replicas differ from size", scaling, with(complete(3), func(o *Observation) { o.Size = 5 }), scaling},
		{"scaling ends in running when complete", scaling, complete(5), running},
		{"scaling at the right size but unhealthy is running", scaling, partial, running},
		{"running while etcd does not answer stays running (not scaling)", running, bootstrapping, running},
		{"scaling while etcd does not answer stays scaling", scaling, bootstrapping, scaling},

		// any -> Failed
		{"new cluster that cannot render fails", none, with(bootstrapping, func(o *Observation) { o.Failure = renderFailed }), failed},
		{"creating fails", creating, with(bootstrapping, func(o *Observation) { o.Failure = applyFailed }), failed},
		{"running fails even when complete", running, with(complete(3), func(o *Observation) { o.Failure = renderFailed }), failed},
		{"scaling fails", scaling, with(complete(3), func(o *Observation) { o.Failure = applyFailed }), failed},
		{"failed stays failed while the failure lasts", failed, with(complete(3), func(o *Observation) { o.Failure = renderFailed }), failed},
		{"recovering fails again", recovering, with(partial, func(o *Observation) { o.Failure = applyFailed }), failed},

		// Failed -> Recovering -> Running
		{"failure gone: recovering", failed, partial, recovering},
		{"failure gone and complete: still one step through recovering", failed, complete(3), recovering},
		{"recovering while incomplete", recovering, partial, recovering},
		{"recovering while unreachable", recovering, bootstrapping, recovering},
		{"recovering completes into running", recovering, complete(3), running},

		// Unknown phases restart the machine.
		{"unknown phase goes back to creating", etcdv1alpha1.Phase("Bogus"), complete(3), creating},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Next(tt.prev, tt.obs); got != tt.want {
				t.Errorf("Next(%q, %+v) = %q, want %q", tt.prev, tt.obs, got, tt.want)
			}
		})
	}
}

func TestNextPausedKeepsPhase(t *testing.T) {
	observations := map[string]Observation{
		"bootstrapping": {Size: 3, Replicas: 3, Paused: true},
		"complete":      with(complete(3), func(o *Observation) { o.Paused = true }),
		"scaling":       with(complete(3), func(o *Observation) { o.Size, o.Paused = 5, true }),
		"failure":       with(complete(3), func(o *Observation) { o.Failure, o.Paused = renderFailed, true }),
	}
	for _, prev := range allPhases {
		for name, o := range observations {
			t.Run(string(prev)+"/"+name, func(t *testing.T) {
				if got := Next(prev, o); got != prev {
					t.Errorf("Next(%q, paused %s) = %q, want the phase kept", prev, name, got)
				}
			})
		}
	}
}

func TestComplete(t *testing.T) {
	tests := []struct {
		name string
		obs  Observation
		want bool
	}{
		{"1 voter", complete(1), true},
		{"3 voters", complete(3), true},
		{"5 voters", complete(5), true},
		{"more ready pods than size", with(complete(3), func(o *Observation) { o.PodsReady = 4 }), true},
		{"not reached", with(complete(3), func(o *Observation) { o.Reached = false }), false},
		{"learner present", with(complete(3), func(o *Observation) { o.Learners = 1 }), false},
		{"learner present on 1 member", with(complete(1), func(o *Observation) { o.Learners = 1 }), false},
		{"pods not ready", with(complete(3), func(o *Observation) { o.PodsReady = 2 }), false},
		{"no pod ready on 1 member", with(complete(1), func(o *Observation) { o.PodsReady = 0 }), false},
		{"rollout pending", with(complete(5), func(o *Observation) { o.RolloutPending = true }), false},
		{"one voter unhealthy", with(complete(5), func(o *Observation) { o.HealthyVoters = 4 }), false},
		{"fewer voters than size", with(complete(3), func(o *Observation) { o.Size = 5 }), false},
		{"more voters than size", with(complete(5), func(o *Observation) { o.Size = 3 }), false},
		{"replicas differ from size", with(complete(3), func(o *Observation) { o.Replicas = 4 }), false},
		{"zero value", Observation{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.obs.Complete(); got != tt.want {
				t.Errorf("%+v.Complete() = %v, want %v", tt.obs, got, tt.want)
			}
		})
	}
}

func TestQuorumHealthy(t *testing.T) {
	quorum := func(voters, healthy int32) Observation {
		return Observation{Reached: true, Voters: voters, HealthyVoters: healthy}
	}
	tests := []struct {
		name string
		obs  Observation
		want bool
	}{
		{"1 of 1", quorum(1, 1), true},
		{"0 of 1", quorum(1, 0), false},
		{"2 of 2", quorum(2, 2), true},
		{"1 of 2", quorum(2, 1), false},
		{"3 of 3", quorum(3, 3), true},
		{"2 of 3", quorum(3, 2), true},
		{"1 of 3", quorum(3, 1), false},
		{"3 of 4", quorum(4, 3), true},
		{"2 of 4", quorum(4, 2), false},
		{"5 of 5", quorum(5, 5), true},
		{"3 of 5", quorum(5, 3), true},
		{"2 of 5", quorum(5, 2), false},
		{"learners do not count", with(quorum(3, 2), func(o *Observation) { o.Learners = 2 }), true},
		{"learners do not make a quorum", with(quorum(3, 1), func(o *Observation) { o.Learners = 2 }), false},
		{"no voters", quorum(0, 0), false},
		{"not reached", with(quorum(3, 3), func(o *Observation) { o.Reached = false }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.obs.QuorumHealthy(); got != tt.want {
				t.Errorf("QuorumHealthy() with %d of %d voters healthy (reached %v) = %v, want %v",
					tt.obs.HealthyVoters, tt.obs.Voters, tt.obs.Reached, got, tt.want)
			}
		})
	}
}

func TestDetectQuorumLoss(t *testing.T) {
	formed := func(o Observation) Observation { o.Formed = true; return o }
	lost := formed(with(complete(3), func(o *Observation) { o.HealthyVoters = 1; o.Unhealthy = []string{"demo-1", "demo-2"} }))
	unreachable := formed(Observation{Size: 3, Replicas: 3})
	unformed := func(o Observation) Observation { o.Formed = false; return o }
	tests := []struct {
		name        string
		obs         Observation
		missingFor  time.Duration
		wantReason  string // "" for no failure
		wantMessage string // substring
	}{
		{"formed with quorum", formed(complete(3)), QuorumLossGrace, "", ""},
		{"formed with a minority unhealthy", formed(with(complete(5), func(o *Observation) { o.HealthyVoters = 3 })), QuorumLossGrace, "", ""},
		{"formed without quorum", lost, QuorumLossGrace, etcdv1alpha1.ReasonQuorumLost, "1 of 3 voting members healthy"},
		{"formed without quorum, within the grace (a leader election)", lost, QuorumLossGrace - time.Millisecond, "", ""},
		{"formed and unreachable", unreachable, time.Hour, etcdv1alpha1.ReasonQuorumLost, "0 of 0 voting members healthy"},
		{"formed and unreachable, just now", unreachable, 0, "", ""},
		{"formed single member down", formed(with(complete(1), func(o *Observation) { o.HealthyVoters = 0 })), QuorumLossGrace, etcdv1alpha1.ReasonQuorumLost, "0 of 1"},
		{"not formed without quorum", unformed(lost), time.Hour, "", ""},
		{"not formed and unreachable", unformed(unreachable), time.Hour, "", ""},
		{"paused without quorum", with(lost, func(o *Observation) { o.Paused = true }), time.Hour, "", ""},
		{"earlier failure is kept", with(lost, func(o *Observation) { o.Failure = renderFailed }), time.Hour, etcdv1alpha1.ReasonRenderFailed, renderFailed.Message},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.obs.Failure
			got := DetectQuorumLoss(tt.obs, tt.missingFor)
			if tt.obs.Failure != before {
				t.Fatalf("DetectQuorumLoss modified its argument")
			}
			if tt.wantReason == "" {
				if got.Failure != nil {
					t.Fatalf("DetectQuorumLoss(missingFor=%s) set failure %+v, want none", tt.missingFor, *got.Failure)
				}
				return
			}
			if got.Failure == nil {
				t.Fatalf("DetectQuorumLoss(missingFor=%s) set no failure, want reason %q", tt.missingFor, tt.wantReason)
			}
			if got.Failure.Reason != tt.wantReason {
				t.Errorf("failure reason = %q, want %q", got.Failure.Reason, tt.wantReason)
			}
			if !strings.Contains(got.Failure.Message, tt.wantMessage) {
				t.Errorf("failure message = %q, want it to contain %q", got.Failure.Message, tt.wantMessage)
			}
			// Everything but the failure is left as observed.
			rest, orig := got, tt.obs
			rest.Failure, orig.Failure = nil, nil
			if !reflect.DeepEqual(rest, orig) {
				t.Errorf("DetectQuorumLoss changed more than the failure:\n got %+v\nwant %+v", rest, orig)
			}
		})
	}
}

func TestDetectQuorumLossDrivesPhaseToFailed(t *testing.T) {
	o := DetectQuorumLoss(with(complete(3), func(o *Observation) { o.HealthyVoters = 1; o.Formed = true }), QuorumLossGrace)
	if got := Next(etcdv1alpha1.PhaseRunning, o); got != etcdv1alpha1.PhaseFailed {
		t.Fatalf("Next(Running, quorum lost) = %q, want Failed", got)
	}
	// Quorum comes back: the next pass recovers, then runs.
	healed := DetectQuorumLoss(with(complete(3), func(o *Observation) { o.Formed = true }), QuorumLossGrace)
	if got := Next(etcdv1alpha1.PhaseFailed, healed); got != etcdv1alpha1.PhaseRecovering {
		t.Fatalf("Next(Failed, healthy) = %q, want Recovering", got)
	}
	if got := Next(etcdv1alpha1.PhaseRecovering, healed); got != etcdv1alpha1.PhaseRunning {
		t.Fatalf("Next(Recovering, complete) = %q, want Running", got)
	}
}
