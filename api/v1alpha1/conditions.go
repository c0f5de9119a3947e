package v1alpha1

// Reasons of the Available, Progressing and Degraded conditions and of the
// operator's Events. They are API: users and alerts match on them.
const (
	ReasonCreating        = "Creating"
	ReasonScaling         = "Scaling"
	ReasonRecovering      = "Recovering"
	ReasonReconciled      = "Reconciled"
	ReasonPaused          = "ReconciliationPaused"
	ReasonQuorumHealthy   = "QuorumHealthy"
	ReasonQuorumLost      = "QuorumLost"
	ReasonNoQuorum        = "NoQuorum"
	ReasonBootstrapping   = "Bootstrapping"
	ReasonMembersHealthy  = "AllMembersHealthy"
	ReasonMemberUnhealthy = "MembersUnhealthy"
	ReasonRenderFailed    = "RenderFailed"
	ReasonApplyFailed     = "ApplyFailed"
	ReasonScaleBlocked    = "ScalingBlocked"
	ReasonRollingUpdate   = "RollingUpdate"
	// ReasonUpgradeRefused: spec.version breaks an etcd upgrade rule for
	// the versions the members run; the message names the release to go
	// to first, and no pod moves.
	ReasonUpgradeRefused = "UpgradeRefused"
	// ReasonRollingUpdateHalted: a member restarted onto the new pod
	// template fails there; the roll goes no further.
	ReasonRollingUpdateHalted = "RollingUpdateHalted"
	// ReasonForeignObject: an object the chart would render exists and is
	// not this cluster's; the operator changes and deletes nothing of it.
	ReasonForeignObject = "ForeignObject"
	// ReasonClusterIDMismatch: the members answer as another etcd cluster
	// than the one status records (the cluster was bootstrapped anew).
	ReasonClusterIDMismatch = "ClusterIDMismatch"
	// ReasonAlarmRaised: etcd reports an alarm (NOSPACE, CORRUPT), named
	// in the message with what to do.
	ReasonAlarmRaised = "AlarmRaised"
	// ReasonMembershipStepFailed: etcd refused a membership change; it is
	// retried with backoff, the error in the message.
	ReasonMembershipStepFailed = "MembershipStepFailed"
	// ReasonCertificatesFailed: the operator could not issue or store the
	// cluster's certificates; running members keep the ones they have.
	ReasonCertificatesFailed = "CertificatesFailed"
)

// Reasons of the Events of database care (spec.maintenance).
const (
	// ReasonCompacted: the operator compacted the history (NOSPACE recovery).
	ReasonCompacted = "Compacted"
	// ReasonLeaderMoved: leadership moved off a member about to be defragmented.
	ReasonLeaderMoved = "LeaderMoved"
	// ReasonDefragmented: the operator defragmented a member.
	ReasonDefragmented = "Defragmented"
	// ReasonAlarmDisarmed: the operator disarmed a NOSPACE alarm.
	ReasonAlarmDisarmed = "AlarmDisarmed"
	// ReasonMaintenanceFailed: a maintenance action failed; it is tried
	// again after a minute.
	ReasonMaintenanceFailed = "MaintenanceFailed"
)

// ReasonRestartedMember: the ordered roll restarted a member's pod onto
// the StatefulSet's new revision (an Event).
const ReasonRestartedMember = "RestartedMember"
