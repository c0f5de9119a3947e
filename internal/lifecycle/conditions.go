package lifecycle

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// Conditions returns Available, Progressing and Degraded for phase and o.
// LastTransitionTime is left to meta.SetStatusCondition, which keeps it
// when the status does not change.
func Conditions(phase etcdv1alpha1.Phase, o Observation) []metav1.Condition {
	return []metav1.Condition{available(o), progressing(phase, o), degraded(o)}
}

func available(o Observation) metav1.Condition {
	c := metav1.Condition{Type: etcdv1alpha1.ConditionAvailable}
	switch {
	case o.QuorumHealthy():
		c.Status, c.Reason = metav1.ConditionTrue, etcdv1alpha1.ReasonQuorumHealthy
		c.Message = fmt.Sprintf("%d of %d voting members healthy", o.HealthyVoters, o.Voters)
	case o.Failure != nil && o.Failure.Reason == etcdv1alpha1.ReasonQuorumLost:
		c.Status, c.Reason = metav1.ConditionFalse, etcdv1alpha1.ReasonQuorumLost
		c.Message = fmt.Sprintf("%d of %d voting members healthy: no quorum", o.HealthyVoters, o.Voters)
	case o.Formed:
		c.Status, c.Reason = metav1.ConditionFalse, etcdv1alpha1.ReasonNoQuorum
		c.Message = fmt.Sprintf("%d of %d voting members healthy: no quorum (a leader election?); QuorumLost if it lasts %s",
			o.HealthyVoters, o.Voters, QuorumLossGrace)
	default:
		c.Status, c.Reason = metav1.ConditionFalse, etcdv1alpha1.ReasonBootstrapping
		c.Message = "etcd does not answer with a quorum yet"
	}
	return c
}

func progressing(phase etcdv1alpha1.Phase, o Observation) metav1.Condition {
	c := metav1.Condition{Type: etcdv1alpha1.ConditionProgressing, Status: metav1.ConditionTrue}
	switch {
	case o.Paused:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, etcdv1alpha1.ReasonPaused, "spec.paused is true: the operator changes nothing"
	case o.Failure != nil:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, o.Failure.Reason, o.Failure.Message
	case o.StepError != "":
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, etcdv1alpha1.ReasonMembershipStepFailed, o.StepError
	case o.ScaleBlocked != "" && !o.Complete():
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, etcdv1alpha1.ReasonScaleBlocked, o.ScaleBlocked
	case o.UpgradeRefused != "":
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, etcdv1alpha1.ReasonUpgradeRefused, o.UpgradeRefused
	case o.RolloutHalted != "":
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, etcdv1alpha1.ReasonRollingUpdateHalted, o.RolloutHalted
	case phase == etcdv1alpha1.PhaseCreating:
		c.Reason = etcdv1alpha1.ReasonCreating
		c.Message = fmt.Sprintf("%d of %d members ready", min(o.HealthyVoters, o.PodsReady), o.Size)
	case phase == etcdv1alpha1.PhaseScaling:
		c.Reason = etcdv1alpha1.ReasonScaling
		c.Message = fmt.Sprintf("scaling to %d members: %d voting, %d learning", o.Size, o.Voters, o.Learners)
	case phase == etcdv1alpha1.PhaseRecovering:
		c.Reason = etcdv1alpha1.ReasonRecovering
		c.Message = fmt.Sprintf("%d of %d members healthy", o.HealthyVoters, o.Size)
	case o.RolloutPending:
		c.Reason, c.Message = etcdv1alpha1.ReasonRollingUpdate, "members are restarting with a new pod template"
	default:
		c.Status, c.Reason = metav1.ConditionFalse, etcdv1alpha1.ReasonReconciled
		c.Message = fmt.Sprintf("%d members match the spec", o.Size)
	}
	return c
}

func degraded(o Observation) metav1.Condition {
	c := metav1.Condition{Type: etcdv1alpha1.ConditionDegraded}
	switch {
	case o.Failure != nil:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, o.Failure.Reason, o.Failure.Message
	case o.ForeignClusterID != "":
		c.Status, c.Reason = metav1.ConditionTrue, etcdv1alpha1.ReasonClusterIDMismatch
		c.Message = fmt.Sprintf("members answer as etcd cluster %s, not the cluster status records: it was bootstrapped anew, and its answers are ignored", o.ForeignClusterID)
	case len(o.Alarms) > 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, etcdv1alpha1.ReasonAlarmRaised, alarmMessage(o.Alarms, o.AlarmNote)
	case len(o.Unhealthy) > 0:
		c.Status, c.Reason = metav1.ConditionTrue, etcdv1alpha1.ReasonMemberUnhealthy
		c.Message = "unhealthy: " + unhealthyList(o.Unhealthy)
	case o.Formed && !o.QuorumHealthy():
		c.Status, c.Reason = metav1.ConditionTrue, etcdv1alpha1.ReasonNoQuorum
		c.Message = fmt.Sprintf("%d of %d voting members healthy: no quorum", o.HealthyVoters, o.Voters)
	case !o.Reached:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, etcdv1alpha1.ReasonBootstrapping, "etcd does not answer yet"
	default:
		c.Status, c.Reason = metav1.ConditionFalse, etcdv1alpha1.ReasonMembersHealthy
		c.Message = fmt.Sprintf("%d voting members healthy", o.HealthyVoters)
	}
	if len(c.Message) > 32768 {
		c.Message = c.Message[:32768]
	}
	return c
}

// alarmMessage says what each raised alarm means and what to do about it.
func alarmMessage(alarms []string, note string) string {
	var parts []string
	for _, a := range alarms {
		switch {
		case a == "NOSPACE" && note != "":
			parts = append(parts, "NOSPACE: the database reached its quota and etcd refuses writes; "+note)
		case a == "NOSPACE":
			parts = append(parts, "NOSPACE: the database reached its quota and etcd refuses writes; free space (compact, defragment, delete keys) or raise spec.tuning.quotaBackendBytes, then disarm it with etcdctl alarm disarm")
		case a == "CORRUPT":
			parts = append(parts, "CORRUPT: a member's data differs from the others'; stop using it and replace that member, do not disarm")
		default:
			parts = append(parts, a)
		}
	}
	return "etcd alarm " + strings.Join(parts, "; ")
}
