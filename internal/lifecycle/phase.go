// Package lifecycle is the pure logic of an EtcdCluster's phase and
// conditions: given what the controller observed, what should status say.
package lifecycle

import (
	"fmt"
	"sort"
	"strings"
	"time"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// Failure is an error that puts the cluster in phase Failed.
type Failure struct {
	Reason  string
	Message string
}

// Observation is what one reconcile saw.
type Observation struct {
	// Size is spec.size.
	Size int32
	// Replicas is the StatefulSet's replica count as the controller drives it.
	Replicas int32
	// PodsReady is the StatefulSet's ready replicas.
	PodsReady int32
	// RolloutPending is true while the StatefulSet runs an older revision.
	RolloutPending bool
	// RolloutHalted says why the roll stopped at a member that fails on
	// the new pod template.
	RolloutHalted string
	// UpgradeRefused says why the members may not go to spec.version yet
	// (an etcd upgrade rule), naming the release to go to first.
	UpgradeRefused string
	// Reached is true when etcd answered the member list.
	Reached bool
	// Formed is true once etcd has answered with a cluster ID.
	Formed bool
	// Voters and HealthyVoters count etcd's voting members.
	Voters, HealthyVoters int32
	// Learners counts members that do not vote yet.
	Learners int32
	// Unhealthy names the members that are not healthy.
	Unhealthy []string
	// Alarms are the alarms etcd reports (NOSPACE, CORRUPT).
	Alarms []string
	// AlarmNote is what the operator does about a NOSPACE alarm, "" when
	// it leaves the alarm to a person.
	AlarmNote string
	// Failure is set when the workload cannot be rendered or applied, or
	// quorum is lost.
	Failure *Failure
	// ScaleBlocked explains why a wanted membership change waits.
	ScaleBlocked string
	// StepError is the error of the membership step etcd refused; it is
	// retried with backoff.
	StepError string
	// ForeignClusterID is the cluster ID members answered with when it is
	// not the one status records; their answer is ignored.
	ForeignClusterID string
	// Paused is spec.paused.
	Paused bool
}

// Complete is true when etcd has exactly the wanted voting members, all
// healthy, with their pods ready and no change in flight.
func (o Observation) Complete() bool {
	return o.Reached && o.Voters == o.Size && o.HealthyVoters == o.Size && o.Learners == 0 &&
		o.Replicas == o.Size && o.PodsReady >= o.Size && !o.RolloutPending
}

// QuorumHealthy is true when a majority of voting members is healthy.
func (o Observation) QuorumHealthy() bool {
	return o.Reached && o.Voters > 0 && o.HealthyVoters >= o.Voters/2+1
}

// Next is the phase after prev given o:
// "" -> Creating -> Running <-> Scaling; any -> Failed -> Recovering -> Running.
// A paused cluster keeps its phase.
func Next(prev etcdv1alpha1.Phase, o Observation) etcdv1alpha1.Phase {
	if o.Paused {
		return prev
	}
	if o.Failure != nil {
		return etcdv1alpha1.PhaseFailed
	}
	switch prev {
	case etcdv1alpha1.PhaseNone:
		return etcdv1alpha1.PhaseCreating
	case etcdv1alpha1.PhaseCreating:
		if o.Complete() {
			return etcdv1alpha1.PhaseRunning
		}
		return etcdv1alpha1.PhaseCreating
	case etcdv1alpha1.PhaseFailed:
		return etcdv1alpha1.PhaseRecovering
	case etcdv1alpha1.PhaseRecovering:
		if o.Complete() {
			return etcdv1alpha1.PhaseRunning
		}
		return etcdv1alpha1.PhaseRecovering
	case etcdv1alpha1.PhaseRunning, etcdv1alpha1.PhaseScaling:
		if o.Complete() {
			return etcdv1alpha1.PhaseRunning
		}
		if !o.Reached {
			// etcd did not answer: its membership is unknown, so no
			// claim of scaling; the conditions say what is wrong.
			return prev
		}
		if o.Replicas != o.Size || o.Voters != o.Size || o.Learners > 0 {
			return etcdv1alpha1.PhaseScaling
		}
		// Same size, something unhealthy or rolling: still Running, and
		// the Degraded and Progressing conditions say what.
		return etcdv1alpha1.PhaseRunning
	}
	return etcdv1alpha1.PhaseCreating
}

// quorumLost is the failure of a cluster that had formed and now cannot
// answer: nothing destructive is done, a person must look.
func quorumLost(o Observation) *Failure {
	return &Failure{
		Reason:  etcdv1alpha1.ReasonQuorumLost,
		Message: fmt.Sprintf("etcd does not answer with a quorum: %d of %d voting members healthy", o.HealthyVoters, o.Voters),
	}
}

// QuorumLossGrace is how long a formed cluster may go without a quorum
// before it is reported QuorumLost: etcd answers nothing while it elects a
// new leader, a second or two after losing one, which is no failure.
const QuorumLossGrace = 10 * time.Second

// DetectQuorumLoss adds a QuorumLost failure to o when a cluster that had
// formed has had no healthy majority for missingFor, at least
// QuorumLossGrace.
func DetectQuorumLoss(o Observation, missingFor time.Duration) Observation {
	if o.Failure == nil && o.Formed && !o.Paused && !o.QuorumHealthy() && missingFor >= QuorumLossGrace {
		o.Failure = quorumLost(o)
	}
	return o
}

func unhealthyList(names []string) string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	return strings.Join(sorted, ", ")
}
