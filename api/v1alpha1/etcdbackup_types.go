package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BackupPhase is where an EtcdBackup is in its life.
// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed
type BackupPhase string

const (
	// BackupPending: waiting for the cluster to be able to give a snapshot.
	BackupPending BackupPhase = "Pending"
	// BackupRunning: the snapshot is being streamed to its destination.
	BackupRunning BackupPhase = "Running"
	// BackupSucceeded: the whole snapshot is at its location, verified.
	BackupSucceeded BackupPhase = "Succeeded"
	// BackupFailed: no complete snapshot was written; the reason says why.
	BackupFailed BackupPhase = "Failed"
)

// BackupDeletionPolicy says what happens to the snapshot object when its
// EtcdBackup is deleted.
// +kubebuilder:validation:Enum=Retain;Delete
type BackupDeletionPolicy string

const (
	// BackupRetain keeps the object: deleting the EtcdBackup only forgets it.
	BackupRetain BackupDeletionPolicy = "Retain"
	// BackupDelete deletes the object from its destination first.
	BackupDelete BackupDeletionPolicy = "Delete"
)

// Reasons of an EtcdBackup's Complete condition, and of a restore.
const (
	ReasonClusterNotFound   = "ClusterNotFound"
	ReasonClusterNotReady   = "ClusterNotReady"
	ReasonDeadlineExceeded  = "DeadlineExceeded"
	ReasonSnapshotStreaming = "SnapshotStreaming"
	ReasonBackupSucceeded   = "BackupSucceeded"
	ReasonClaimNotFound     = "ClaimNotFound"
	ReasonClaimFull         = "ClaimFull"
	ReasonBucketNotFound    = "BucketNotFound"
	ReasonAccessDenied      = "AccessDenied"
	ReasonStorageFailed     = "StorageFailed"
	ReasonEtcdUnavailable   = "EtcdUnavailable"
	ReasonJobFailed         = "JobFailed"
	ReasonNoAgentImage      = "NoAgentImage"
	// ReasonRestoreFailed: a member's restore from spec.bootstrap was
	// refused (a corrupted object, a missing one); no member started on it.
	ReasonRestoreFailed = "RestoreFailed"
	// ReasonBackupNotReady: spec.bootstrap names a backup that has not
	// succeeded (yet); the cluster waits for it.
	ReasonBackupNotReady = "BackupNotReady"
)

// ConditionComplete is an EtcdBackup's one condition: True once Succeeded,
// False with the reason while it waits or once it failed.
const ConditionComplete = "Complete"

// EtcdBackupSpec is one snapshot of an EtcdCluster. It is immutable.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="an EtcdBackup's spec is immutable: create another EtcdBackup"
type EtcdBackupSpec struct {
	// ClusterName is the EtcdCluster, in this namespace, to snapshot.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Cluster",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	ClusterName string `json:"clusterName"`

	// Destination is where the snapshot is written: exactly one of
	// persistentVolumeClaim and s3.
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Destination"
	Destination BackupDestination `json:"destination"`

	// DeletionPolicy: Retain (the default) keeps the snapshot object when
	// this EtcdBackup is deleted; Delete removes it first.
	// +kubebuilder:default=Retain
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Deletion Policy",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:select:Retain","urn:alm:descriptor:com.tectonic.ui:select:Delete"}
	DeletionPolicy BackupDeletionPolicy `json:"deletionPolicy,omitempty"`

	// Deadline is how long, from creation, the backup may wait for a
	// cluster with quorum and run (default 10m). Past it the backup fails.
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('10s') && duration(self) <= duration('24h')",message="deadline must be from 10s to 24h"
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Deadline",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text","urn:alm:descriptor:com.tectonic.ui:advanced"}
	Deadline *metav1.Duration `json:"deadline,omitempty"`
}

// BackupDestination is one place a snapshot is stored.
// +kubebuilder:validation:XValidation:rule="has(self.persistentVolumeClaim) != has(self.s3)",message="destination needs exactly one of persistentVolumeClaim and s3"
type BackupDestination struct {
	// PersistentVolumeClaim stores the snapshot as a file in a claim of
	// this namespace, at <path>/<namespace>/<cluster>/<backup>.db.
	// +optional
	PersistentVolumeClaim *ClaimDestination `json:"persistentVolumeClaim,omitempty"`

	// S3 stores the snapshot in an S3-compatible bucket, under
	// <prefix>/<namespace>/<cluster>/<backup>.db.
	// +optional
	S3 *S3Destination `json:"s3,omitempty"`
}

// ClaimDestination is a directory in a PersistentVolumeClaim.
type ClaimDestination struct {
	// ClaimName is the claim, in the backup's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Claim",xDescriptors={"urn:alm:descriptor:io.kubernetes:PersistentVolumeClaim"}
	ClaimName string `json:"claimName"`

	// Path is the directory inside the claim (default: its root).
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:XValidation:rule="!self.contains('..') && self.matches('^[A-Za-z0-9._/-]*$')",message="path must be a relative directory of letters, digits, '.', '_', '-' and '/', without '..'"
	// +optional
	Path string `json:"path,omitempty"`
}

// S3Destination is a bucket of an S3-compatible object store.
type S3Destination struct {
	// Endpoint is the store's URL, https:// (or http:// for a store on a
	// trusted network), with no path: https://s3.eu-west-1.amazonaws.com.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^https?://[^/?#]+/?$')",message="s3.endpoint must be http:// or https:// and a host[:port], with no path"
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Endpoint",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	Endpoint string `json:"endpoint"`

	// Bucket must exist; the operator never creates one.
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=63
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Bucket",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	Bucket string `json:"bucket"`

	// Prefix of the object keys, without a leading or trailing '/'.
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && !self.endsWith('/') && !self.contains('..')",message="s3.prefix must not start or end with '/' nor contain '..'"
	// +optional
	Prefix string `json:"prefix,omitempty"`

	// Region of the bucket (default us-east-1).
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Region string `json:"region,omitempty"`

	// PathStyle addresses the bucket as <endpoint>/<bucket> rather than
	// <bucket>.<endpoint>; most self-hosted stores need it (default true).
	// +kubebuilder:default=true
	// +optional
	PathStyle *bool `json:"pathStyle,omitempty"`

	// CredentialsSecret names a Secret of this namespace with the keys
	// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Only the backup's and the
	// restore's pods read it, never the operator.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Credentials Secret",xDescriptors={"urn:alm:descriptor:io.kubernetes:Secret"}
	CredentialsSecret string `json:"credentialsSecret"`

	// CASecret names a Secret of this namespace whose ca.crt is trusted for
	// a private https endpoint, besides the system's roots.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="CA Secret",xDescriptors={"urn:alm:descriptor:io.kubernetes:Secret","urn:alm:descriptor:com.tectonic.ui:advanced"}
	CASecret string `json:"caSecret,omitempty"`
}

// EtcdBackupStatus is what the backup holds once it succeeded.
type EtcdBackupStatus struct {
	// Phase is Pending, Running, Succeeded or Failed.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Phase",xDescriptors={"urn:alm:descriptor:io.kubernetes.phase"}
	Phase BackupPhase `json:"phase,omitempty"`

	// Conditions: Complete, with the reason while waiting or on failure.
	// +listType=map
	// +listMapKey=type
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Conditions",xDescriptors={"urn:alm:descriptor:io.kubernetes.conditions"}
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// StartTime is when the snapshot started streaming.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// CompletionTime is when the backup succeeded or failed.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// Location of the object: s3://<bucket>/<key> or
	// pvc://<claim>/<path>.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Location",xDescriptors={"urn:alm:descriptor:text"}
	Location string `json:"location,omitempty"`

	// SizeBytes of the object.
	// +optional
	SizeBytes int64 `json:"sizeBytes,omitempty"`

	// SHA256 of the whole object, in hexadecimal, computed while streaming;
	// a restore refuses an object that does not match it.
	// +optional
	SHA256 string `json:"sha256,omitempty"`

	// Revision is the etcd revision the snapshot holds at least.
	// +optional
	Revision int64 `json:"revision,omitempty"`

	// EtcdVersion is the version of the member the snapshot came from.
	// +optional
	EtcdVersion string `json:"etcdVersion,omitempty"`

	// ClusterID is the etcd cluster ID of the source, in hexadecimal.
	// +optional
	ClusterID string `json:"clusterID,omitempty"`

	// ClusterUID is the UID of the source EtcdCluster.
	// +optional
	ClusterUID string `json:"clusterUID,omitempty"`

	// Member is the member the snapshot was streamed from.
	// +optional
	Member string `json:"member,omitempty"`
}

// EtcdBackup is one snapshot of an EtcdCluster, to a claim or to S3.
// +operator-sdk:csv:customresourcedefinitions:displayName="etcd Backup",resources={{Job,v1},{Pod,v1},{Event,v1}}
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=etcdb,categories=etcd
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterName`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Size",type=integer,JSONPath=`.status.sizeBytes`
// +kubebuilder:printcolumn:name="Revision",type=integer,JSONPath=`.status.revision`
// +kubebuilder:printcolumn:name="Location",type=string,JSONPath=`.status.location`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Complete")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="metadata.name must be at most 63 characters: it names the backup's Job"
type EtcdBackup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the snapshot to take.
	Spec EtcdBackupSpec `json:"spec"`

	// Status is what the operator observed.
	// +optional
	Status EtcdBackupStatus `json:"status,omitempty"`
}

// EtcdBackupList is a list of EtcdBackup.
// +kubebuilder:object:root=true
type EtcdBackupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EtcdBackup `json:"items"`
}

// PathStyleAddressing is PathStyle with its default (true) applied.
func (s *S3Destination) PathStyleAddressing() bool { return s.PathStyle == nil || *s.PathStyle }
