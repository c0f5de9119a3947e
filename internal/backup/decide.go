package backup

import (
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// DefaultDeadline bounds a backup's wait for its cluster and its run.
const DefaultDeadline = 10 * time.Minute

// waitPoll is how often a Pending backup looks at its cluster again.
const waitPoll = 5 * time.Second

// Observed is what a pass of the EtcdBackup controller saw.
type Observed struct {
	Backup *etcdv1alpha1.EtcdBackup
	// Cluster is nil when the named EtcdCluster does not exist.
	Cluster *etcdv1alpha1.EtcdCluster
	// Job is the backup's Job, nil before it is created.
	Job *batchv1.Job
	// Report is what the Job's pod reported, nil when not (yet) read.
	Report *Result
	// ClaimMissing: the destination claim does not exist.
	ClaimMissing bool
	AgentImage   string
	Now          time.Time
}

// Decision is the pass's one action and the status it leads to.
type Decision struct {
	Phase   etcdv1alpha1.BackupPhase
	Reason  string
	Message string
	// CreateJob streams from Member.
	CreateJob bool
	Member    string
	// Result is the snapshot written, on success.
	Result       *Result
	RequeueAfter time.Duration
}

// Deadline is when b gives up.
func Deadline(b *etcdv1alpha1.EtcdBackup) time.Time {
	d := DefaultDeadline
	if b.Spec.Deadline != nil {
		d = b.Spec.Deadline.Duration
	}
	return b.CreationTimestamp.Add(d)
}

// Decide is the next step of a backup that has not finished.
func Decide(o Observed) Decision {
	if o.Job != nil {
		return fromJob(o)
	}
	if !o.Now.Before(Deadline(o.Backup)) {
		msg := "the cluster could not give a snapshot before the backup's deadline"
		if c := waitingCondition(o.Backup); c != "" {
			msg += ": " + c
		}
		return Decision{Phase: etcdv1alpha1.BackupFailed, Reason: etcdv1alpha1.ReasonDeadlineExceeded, Message: msg}
	}
	if o.AgentImage == "" {
		return Decision{Phase: etcdv1alpha1.BackupFailed, Reason: etcdv1alpha1.ReasonNoAgentImage,
			Message: "the operator does not know its own image to run the backup with: set --agent-image or $AGENT_IMAGE"}
	}
	if c := o.Backup.Spec.Destination.PersistentVolumeClaim; c != nil && o.ClaimMissing {
		return Decision{Phase: etcdv1alpha1.BackupFailed, Reason: etcdv1alpha1.ReasonClaimNotFound,
			Message: "PersistentVolumeClaim " + c.ClaimName + " does not exist in namespace " + o.Backup.Namespace}
	}
	if o.Cluster == nil {
		return Decision{Phase: etcdv1alpha1.BackupPending, Reason: etcdv1alpha1.ReasonClusterNotFound,
			Message: "EtcdCluster " + o.Backup.Spec.ClusterName + " does not exist", RequeueAfter: waitPoll}
	}
	member, reason, message, ok := Source(o.Cluster)
	if !ok {
		return Decision{Phase: etcdv1alpha1.BackupPending, Reason: reason, Message: message, RequeueAfter: waitPoll}
	}
	return Decision{Phase: etcdv1alpha1.BackupRunning, Reason: etcdv1alpha1.ReasonSnapshotStreaming,
		Message: "streaming a snapshot from " + member.Name, CreateJob: true, Member: member.Name}
}

func fromJob(o Observed) Decision {
	switch {
	case jobCondition(o.Job, batchv1.JobComplete):
		switch {
		case o.Report != nil && o.Report.Reason != "":
			return Decision{Phase: etcdv1alpha1.BackupFailed, Reason: o.Report.Reason, Message: o.Report.Message}
		case o.Report == nil && o.Now.After(Deadline(o.Backup)):
			return Decision{Phase: etcdv1alpha1.BackupFailed, Reason: etcdv1alpha1.ReasonJobFailed,
				Message: "the backup Job completed but its pod's report is gone, so the snapshot cannot be vouched for"}
		case o.Report == nil:
			// The pod's status reaches the cache just after the Job's.
			return Decision{Phase: etcdv1alpha1.BackupRunning, Reason: etcdv1alpha1.ReasonSnapshotStreaming,
				Message: "reading the backup pod's report", RequeueAfter: time.Second}
		}
		return Decision{Phase: etcdv1alpha1.BackupSucceeded, Reason: etcdv1alpha1.ReasonBackupSucceeded,
			Message: "the snapshot is stored and verified", Result: o.Report}
	case jobCondition(o.Job, batchv1.JobFailed):
		if o.Report != nil && o.Report.Reason != "" {
			return Decision{Phase: etcdv1alpha1.BackupFailed, Reason: o.Report.Reason, Message: o.Report.Message}
		}
		return Decision{Phase: etcdv1alpha1.BackupFailed, Reason: etcdv1alpha1.ReasonJobFailed, Message: jobMessage(o.Job)}
	}
	return Decision{Phase: etcdv1alpha1.BackupRunning, Reason: etcdv1alpha1.ReasonSnapshotStreaming,
		Message: "streaming a snapshot from " + o.Backup.Status.Member, RequeueAfter: 30 * time.Second}
}

func jobCondition(j *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func jobMessage(j *batchv1.Job) string {
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			return "the backup Job failed: " + c.Reason + ": " + c.Message
		}
	}
	return "the backup Job failed"
}

func waitingCondition(b *etcdv1alpha1.EtcdBackup) string {
	for _, c := range b.Status.Conditions {
		if c.Type == etcdv1alpha1.ConditionComplete && c.Status == "False" {
			return c.Message
		}
	}
	return ""
}
