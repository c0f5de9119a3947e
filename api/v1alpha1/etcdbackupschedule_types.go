package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LabelBackupSchedule is set on each EtcdBackup a schedule creates, with
// the schedule's name: retention counts and deletes only those.
const LabelBackupSchedule = "etcd.etcd.io/backup-schedule"

// EtcdBackupScheduleSpec takes an EtcdBackup of a cluster at each time its
// schedule fires and keeps a bounded number of them.
type EtcdBackupScheduleSpec struct {
	// ClusterName is the EtcdCluster, in this namespace, to snapshot.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Cluster",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	ClusterName string `json:"clusterName"`

	// Schedule is a standard 5-field cron expression (minute hour
	// day-of-month month day-of-week, numbers, '*', ',', '-' and '/'),
	// evaluated in UTC: "0 */6 * * *" is every six hours. A time the
	// operator missed (it was down) is not run late.
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9*,/-]+( [0-9*,/-]+){4}$')",message="schedule must be a 5-field cron expression of numbers, '*', ',', '-' and '/' (in UTC), for example \"0 */6 * * *\""
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Schedule",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	Schedule string `json:"schedule"`

	// Destination of every snapshot: exactly one of persistentVolumeClaim
	// and s3.
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Destination"
	Destination BackupDestination `json:"destination"`

	// Retention bounds the snapshots kept; older ones are deleted from the
	// destination, never the newest that succeeded.
	// +kubebuilder:default={keepLast:7}
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Retention"
	Retention BackupRetention `json:"retention,omitempty"`

	// Suspend stops new runs; kept snapshots stay.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Suspend",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:booleanSwitch"}
	Suspend bool `json:"suspend,omitempty"`

	// Deadline of each run (see EtcdBackup spec.deadline; default 10m).
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('10s') && duration(self) <= duration('24h')",message="deadline must be from 10s to 24h"
	// +optional
	Deadline *metav1.Duration `json:"deadline,omitempty"`
}

// BackupRetention keeps the last KeepLast successful snapshots, and of
// those none older than MaxAge when it is set.
type BackupRetention struct {
	// KeepLast successful snapshots are kept (default 7).
	// +kubebuilder:default=7
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	KeepLast int32 `json:"keepLast,omitempty"`

	// MaxAge deletes snapshots older than it, except the newest good one.
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m')",message="retention.maxAge must be at least 1m"
	// +optional
	MaxAge *metav1.Duration `json:"maxAge,omitempty"`
}

// EtcdBackupScheduleStatus says when the schedule last ran.
type EtcdBackupScheduleStatus struct {
	// LastScheduleTime is the time slot of the newest run.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Last Schedule",xDescriptors={"urn:alm:descriptor:text"}
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`

	// LastSuccessfulTime is when the newest successful run completed.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Last Successful",xDescriptors={"urn:alm:descriptor:text"}
	LastSuccessfulTime *metav1.Time `json:"lastSuccessfulTime,omitempty"`

	// LastSuccessfulBackup names the newest EtcdBackup that succeeded.
	// +optional
	LastSuccessfulBackup string `json:"lastSuccessfulBackup,omitempty"`

	// Active names the run in progress, if any.
	// +optional
	Active string `json:"active,omitempty"`

	// Conditions: Ready False with a reason when the schedule cannot run.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// EtcdBackupSchedule takes EtcdBackups of a cluster on a cron schedule.
// +operator-sdk:csv:customresourcedefinitions:displayName="etcd Backup Schedule",resources={{EtcdBackup,v1alpha1}}
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=etcdbs,categories=etcd
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterName`
// +kubebuilder:printcolumn:name="Schedule",type=string,JSONPath=`.spec.schedule`
// +kubebuilder:printcolumn:name="Suspend",type=boolean,JSONPath=`.spec.suspend`
// +kubebuilder:printcolumn:name="Last Successful",type=date,JSONPath=`.status.lastSuccessfulTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 40",message="metadata.name must be at most 40 characters: it prefixes the name of each run"
type EtcdBackupSchedule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is when and where to take backups.
	Spec EtcdBackupScheduleSpec `json:"spec"`

	// Status is what the operator observed.
	// +optional
	Status EtcdBackupScheduleStatus `json:"status,omitempty"`
}

// EtcdBackupScheduleList is a list of EtcdBackupSchedule.
// +kubebuilder:object:root=true
type EtcdBackupScheduleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EtcdBackupSchedule `json:"items"`
}
