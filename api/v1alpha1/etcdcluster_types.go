package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EtcdClusterSpec is the desired state of an etcd cluster.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.version) || !has(self.version) || !isSemver(self.version) || !isSemver(oldSelf.version) || semver(self.version).minor() - semver(oldSelf.version).minor() <= 1",messageExpression="'etcd upgrades go one minor version at a time: upgrade ' + oldSelf.version + ' to the newest patch of the next minor version first, not straight to ' + self.version"
// +kubebuilder:validation:XValidation:rule="!has(self.imageDigest) || !has(oldSelf.imageDigest) || self.imageDigest != oldSelf.imageDigest || !has(self.version) || !has(oldSelf.version) || self.version == oldSelf.version",message="imageDigest pins the image of the old version: when changing version, set imageDigest to the new version's digest or remove it"
// +kubebuilder:validation:XValidation:rule="has(self.bootstrap) == has(oldSelf.bootstrap) && (!has(self.bootstrap) || self.bootstrap == oldSelf.bootstrap)",message="bootstrap can only be set when the cluster is created and never changes: to restore a backup, create a new EtcdCluster with spec.bootstrap"
type EtcdClusterSpec struct {
	// Size is the number of etcd members, from 1 to 9. Odd sizes tolerate the
	// same number of failures as the next even size and cost less: prefer 1, 3 or 5.
	// +kubebuilder:default=3
	// +kubebuilder:validation:XValidation:rule="self >= 1 && self <= 9",message="size must be from 1 to 9 members"
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Size",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:podCount"}
	Size int32 `json:"size,omitempty"`

	// Version is the etcd release to run, as MAJOR.MINOR.PATCH without a "v"
	// (3.5.x, 3.6.x and 3.7.x are supported). It may be raised one minor version
	// at a time and never lowered: etcd does not support downgrades.
	// +kubebuilder:default="3.7.3"
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^3\\\\.(5|6|7)\\\\.(0|[1-9][0-9]*)$')",messageExpression="'version ' + self + ' is not a supported etcd release: use 3.5.x, 3.6.x or 3.7.x, for example 3.7.3'"
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="etcd Version",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	Version string `json:"version,omitempty"`

	// Repository is the container image repository of etcd. The image tag is
	// always "v" followed by version, as in the official images; to pin the
	// image by digest, set imageDigest.
	// +kubebuilder:default="quay.io/coreos/etcd"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="!self.contains('@') && !self.matches(':[^/]*$')",message="repository must not carry a tag or digest: the tag comes from version, a digest goes in imageDigest"
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Image Repository",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text","urn:alm:descriptor:com.tectonic.ui:advanced"}
	Repository string `json:"repository,omitempty"`

	// ImageDigest pins the etcd image by content: when set, the members run
	// repository@imageDigest (for example
	// quay.io/coreos/etcd@sha256:<64 hex digits>) instead of the tag
	// "v" + version, so that a moved or overwritten tag cannot change what
	// runs. It must be the digest of the image of version: the operator
	// still takes the etcd version (upgrade rules, probes) from version, and
	// changing version while keeping the same digest is refused. Empty (the
	// default) uses the tag.
	// +kubebuilder:validation:MaxLength=71
	// +kubebuilder:validation:XValidation:rule="self.matches('^sha256:[0-9a-f]{64}$')",message="imageDigest must be sha256: followed by 64 lowercase hexadecimal digits, as in the image's repository digest"
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Image Digest",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text","urn:alm:descriptor:com.tectonic.ui:advanced"}
	ImageDigest string `json:"imageDigest,omitempty"`

	// ImagePullPolicy of the etcd container.
	// +kubebuilder:default=IfNotPresent
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Image Pull Policy",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:imagePullPolicy","urn:alm:descriptor:com.tectonic.ui:advanced"}
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// Storage is where each member keeps its data. It cannot be changed after
	// creation: volume claim templates of a StatefulSet are immutable.
	// +kubebuilder:default={}
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Storage"
	Storage StorageSpec `json:"storage,omitempty"`

	// Resources of the etcd container.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Resources",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:resourceRequirements"}
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// Pod holds the metadata and placement of the member pods.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Member Pods",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:advanced"}
	Pod PodSpec `json:"pod,omitempty"`

	// Tuning holds etcd's own settings.
	// +kubebuilder:default={}
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="etcd Tuning",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:advanced"}
	Tuning TuningSpec `json:"tuning,omitempty"`

	// TLS secures client and peer traffic; on by default (provider Operator).
	// +kubebuilder:default={}
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="TLS"
	TLS TLSSpec `json:"tls,omitempty"`

	// Maintenance is the operator's care of the members' databases:
	// defragmentation and recovery from a NOSPACE alarm.
	// +kubebuilder:default={}
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Database Maintenance",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:advanced"}
	Maintenance MaintenanceSpec `json:"maintenance,omitempty"`

	// Paused stops reconciliation: the operator changes nothing, neither the
	// workload nor the membership, until it is set back to false. Status keeps
	// being reported.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Paused",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:booleanSwitch"}
	Paused bool `json:"paused,omitempty"`

	// Bootstrap starts a new cluster from a backup. It can only be set when
	// the cluster is created, and never changes after.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Bootstrap"
	Bootstrap *BootstrapSpec `json:"bootstrap,omitempty"`
}

// StorageType says what backs a member's data directory.
// +kubebuilder:validation:Enum=PersistentVolume;EmptyDir
type StorageType string

const (
	// StoragePersistentVolume gives each member a PersistentVolumeClaim.
	StoragePersistentVolume StorageType = "PersistentVolume"
	// StorageEmptyDir keeps data in the pod: a restarted pod comes back empty
	// and is replaced as a new member.
	StorageEmptyDir StorageType = "EmptyDir"
)

// StorageSpec describes each member's data volume.
// +kubebuilder:validation:XValidation:rule="(!has(self.type) || !has(oldSelf.type) || self.type == oldSelf.type) && (!has(self.size) || !has(oldSelf.size) || self.size == oldSelf.size) && (has(self.storageClassName) ? (has(oldSelf.storageClassName) && self.storageClassName == oldSelf.storageClassName) : !has(oldSelf.storageClassName))",message="storage.type, storage.size and storage.storageClassName are immutable: a StatefulSet's volume claim templates cannot change; create a new EtcdCluster and restore a snapshot into it"
type StorageSpec struct {
	// Type is PersistentVolume (a claim per member, data survives pod restarts)
	// or EmptyDir (data lives and dies with the pod).
	// +kubebuilder:default=PersistentVolume
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Storage Type",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:storage","urn:alm:descriptor:com.tectonic.ui:select:PersistentVolume","urn:alm:descriptor:com.tectonic.ui:select:EmptyDir"}
	Type StorageType `json:"type,omitempty"`

	// Size of each member's volume; for EmptyDir it is the size limit.
	// +kubebuilder:default="1Gi"
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).isGreaterThan(quantity('0'))",message="storage.size must be positive, for example 1Gi"
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Storage Size",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:storage","urn:alm:descriptor:com.tectonic.ui:text"}
	Size *resource.Quantity `json:"size,omitempty"`

	// StorageClassName of the claims; empty uses the cluster's default class.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Storage Class",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:storage","urn:alm:descriptor:io.kubernetes:StorageClass"}
	StorageClassName *string `json:"storageClassName,omitempty"`

	// ReclaimPolicy says what happens to the members' claims, and so their
	// data, when the EtcdCluster is deleted: Delete removes them, Retain keeps
	// them for a person to reuse or remove. A member removed by scaling down
	// always loses its claim: etcd refuses to start a new member on it.
	// +kubebuilder:default=Delete
	// +kubebuilder:validation:Enum=Delete;Retain
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Reclaim Policy",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:storage","urn:alm:descriptor:com.tectonic.ui:select:Delete","urn:alm:descriptor:com.tectonic.ui:select:Retain"}
	ReclaimPolicy ReclaimPolicy `json:"reclaimPolicy,omitempty"`
}

// ReclaimPolicy of the members' claims when the cluster is deleted.
type ReclaimPolicy string

const (
	// ReclaimDelete deletes the claims with the cluster.
	ReclaimDelete ReclaimPolicy = "Delete"
	// ReclaimRetain keeps the claims after the cluster is deleted.
	ReclaimRetain ReclaimPolicy = "Retain"
)

// PodSpec holds the metadata and placement of the member pods.
type PodSpec struct {
	// Labels added to each member pod.
	// +kubebuilder:validation:XValidation:rule="!('app.kubernetes.io/name' in self) && !('app.kubernetes.io/instance' in self)",message="pod.labels must not set app.kubernetes.io/name or app.kubernetes.io/instance: the operator selects its pods with them"
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Pod Labels",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:pod","urn:alm:descriptor:com.tectonic.ui:advanced"}
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations added to each member pod.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Pod Annotations",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:pod","urn:alm:descriptor:com.tectonic.ui:advanced"}
	Annotations map[string]string `json:"annotations,omitempty"`

	// NodeSelector of the member pods.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Node Selector",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:pod","urn:alm:descriptor:com.tectonic.ui:advanced"}
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the member pods.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Tolerations",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:pod","urn:alm:descriptor:com.tectonic.ui:advanced"}
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity of the member pods, for example anti-affinity across nodes or zones.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Affinity",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:pod","urn:alm:descriptor:com.tectonic.ui:advanced"}
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// TopologySpreadConstraints of the member pods.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Topology Spread Constraints",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:pod","urn:alm:descriptor:com.tectonic.ui:advanced"}
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// PriorityClassName of the member pods.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Priority Class",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:pod","urn:alm:descriptor:io.kubernetes:PriorityClass","urn:alm:descriptor:com.tectonic.ui:advanced"}
	PriorityClassName string `json:"priorityClassName,omitempty"`
}

// AutoCompactionMode is etcd's --auto-compaction-mode.
// +kubebuilder:validation:Enum=periodic;revision
type AutoCompactionMode string

// TuningSpec holds etcd settings. Changing them restarts members one at a time.
// +kubebuilder:validation:XValidation:rule="!has(self.electionTimeoutMillis) || !has(self.heartbeatIntervalMillis) || self.electionTimeoutMillis >= 5 * self.heartbeatIntervalMillis",message="tuning.electionTimeoutMillis must be at least 5 x tuning.heartbeatIntervalMillis (etcd refuses to start otherwise)"
// +kubebuilder:validation:XValidation:rule="!has(self.autoCompactionMode) || self.autoCompactionMode != 'revision' || (has(self.autoCompactionRetention) && self.autoCompactionRetention.matches('^[0-9]+$'))",message="tuning.autoCompactionRetention must be a number of revisions when autoCompactionMode is revision"
type TuningSpec struct {
	// HeartbeatIntervalMillis is the leader's heartbeat interval in milliseconds.
	// +kubebuilder:default=100
	// +kubebuilder:validation:Minimum=10
	// +kubebuilder:validation:Maximum=10000
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Heartbeat Interval (ms)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:tuning","urn:alm:descriptor:com.tectonic.ui:number","urn:alm:descriptor:com.tectonic.ui:advanced"}
	HeartbeatIntervalMillis int32 `json:"heartbeatIntervalMillis,omitempty"`

	// ElectionTimeoutMillis is how long a follower waits for the leader before
	// calling an election; at least 5 x heartbeatIntervalMillis.
	// +kubebuilder:default=1000
	// +kubebuilder:validation:Minimum=50
	// +kubebuilder:validation:Maximum=50000
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Election Timeout (ms)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:tuning","urn:alm:descriptor:com.tectonic.ui:number","urn:alm:descriptor:com.tectonic.ui:advanced"}
	ElectionTimeoutMillis int32 `json:"electionTimeoutMillis,omitempty"`

	// SnapshotCount is the number of committed transactions that triggers a
	// snapshot to disk.
	// +kubebuilder:default=10000
	// +kubebuilder:validation:Minimum=1
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Snapshot Count",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:tuning","urn:alm:descriptor:com.tectonic.ui:number","urn:alm:descriptor:com.tectonic.ui:advanced"}
	SnapshotCount int64 `json:"snapshotCount,omitempty"`

	// QuotaBackendBytes is the size the database may reach before etcd raises
	// a NOSPACE alarm and refuses writes; at most 8Gi, the size etcd suggests.
	// +kubebuilder:default="2Gi"
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).isGreaterThan(quantity('0'))",message="tuning.quotaBackendBytes must be positive, for example 2Gi"
	// +kubebuilder:validation:XValidation:rule="!quantity(string(self)).isGreaterThan(quantity('8Gi'))",message="tuning.quotaBackendBytes must be at most 8Gi"
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Backend Quota",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:tuning","urn:alm:descriptor:com.tectonic.ui:text","urn:alm:descriptor:com.tectonic.ui:advanced"}
	QuotaBackendBytes *resource.Quantity `json:"quotaBackendBytes,omitempty"`

	// AutoCompactionMode is periodic (retention is a duration) or revision
	// (retention is a number of revisions).
	// +kubebuilder:default=periodic
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Auto-Compaction Mode",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:tuning","urn:alm:descriptor:com.tectonic.ui:select:periodic","urn:alm:descriptor:com.tectonic.ui:select:revision","urn:alm:descriptor:com.tectonic.ui:advanced"}
	AutoCompactionMode AutoCompactionMode `json:"autoCompactionMode,omitempty"`

	// AutoCompactionRetention is how much history to keep: a duration such as
	// "1h" or "30m" in periodic mode, a revision count in revision mode; "0"
	// turns auto-compaction off.
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+|([0-9]+(\\\\.[0-9]+)?(ns|us|ms|s|m|h))+)$')",message="tuning.autoCompactionRetention must be a duration such as 1h or 30m, or a whole number"
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Auto-Compaction Retention",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:tuning","urn:alm:descriptor:com.tectonic.ui:text","urn:alm:descriptor:com.tectonic.ui:advanced"}
	AutoCompactionRetention string `json:"autoCompactionRetention,omitempty"`
}

// Phase is a coarse summary of an EtcdCluster's lifecycle.
// +kubebuilder:validation:Enum="";Creating;Running;Scaling;Failed;Recovering
type Phase string

// The phases: "" -> Creating -> Running <-> Scaling; any -> Failed -> Recovering -> Running.
const (
	PhaseNone       Phase = ""
	PhaseCreating   Phase = "Creating"
	PhaseRunning    Phase = "Running"
	PhaseScaling    Phase = "Scaling"
	PhaseFailed     Phase = "Failed"
	PhaseRecovering Phase = "Recovering"
)

// Condition types, following Kubernetes API conventions.
const (
	// ConditionAvailable is True while a quorum of members is healthy and serves clients.
	ConditionAvailable = "Available"
	// ConditionProgressing is True while the operator is moving the cluster
	// towards its spec (creating, scaling, recovering, rolling out).
	ConditionProgressing = "Progressing"
	// ConditionDegraded is True when a member is unhealthy or the operator
	// cannot make progress.
	ConditionDegraded = "Degraded"
)

// EtcdClusterStatus is the observed state of an etcd cluster. Only the
// operator writes it.
type EtcdClusterStatus struct {
	// Phase summarizes the lifecycle: Creating, Running, Scaling, Failed or Recovering.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Phase",xDescriptors={"urn:alm:descriptor:io.kubernetes.phase"}
	Phase Phase `json:"phase,omitempty"`

	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Observed Generation",xDescriptors={"urn:alm:descriptor:text"}
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions are Available, Progressing and Degraded.
	// +listType=map
	// +listMapKey=type
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Conditions",xDescriptors={"urn:alm:descriptor:io.kubernetes.conditions"}
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ReadyMembers is the number of voting members that are healthy in etcd
	// and whose pods are ready.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Ready Members",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:podCount"}
	ReadyMembers int32 `json:"readyMembers"`

	// Members is etcd's own member list, with the health of each member.
	// +listType=map
	// +listMapKey=name
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Members"
	Members []MemberStatus `json:"members,omitempty"`

	// CurrentVersion is the lowest etcd server version among the members.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Current Version",xDescriptors={"urn:alm:descriptor:text"}
	CurrentVersion string `json:"currentVersion,omitempty"`

	// ClusterVersion is the version etcd reports for the cluster as a whole:
	// the lowest minor every member runs, which etcd raises only once all
	// members run the newer one. A version may go back (after a member
	// failed on it) only while this has not reached it.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Cluster Version",xDescriptors={"urn:alm:descriptor:text"}
	ClusterVersion string `json:"clusterVersion,omitempty"`

	// ClusterVersionRaftIndex is the leader's raft index when the operator
	// first saw clusterVersion: entries before it may be the older minor's.
	// An upgrade to 3.7 waits until every member has taken a snapshot past
	// it (3.7 cannot replay the v2 entries a 3.5 cluster wrote).
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Cluster Version Raft Index",xDescriptors={"urn:alm:descriptor:text"}
	ClusterVersionRaftIndex int64 `json:"clusterVersionRaftIndex,omitempty"`

	// ClusterID is etcd's cluster ID, in hexadecimal.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Cluster ID",xDescriptors={"urn:alm:descriptor:text"}
	ClusterID string `json:"clusterID,omitempty"`

	// ClientEndpoint is the URL applications use to reach etcd.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Client Endpoint",xDescriptors={"urn:alm:descriptor:text"}
	ClientEndpoint string `json:"clientEndpoint,omitempty"`

	// Alarms etcd reports: NOSPACE (the database reached its quota and
	// writes are refused) or CORRUPT (a member's data differs from the
	// others'). The Degraded condition says what to do.
	// +listType=atomic
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Alarms",xDescriptors={"urn:alm:descriptor:text"}
	Alarms []string `json:"alarms,omitempty"`

	// TLS is how the members are secured and where clients find their
	// certificate.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="TLS"
	TLS *TLSStatus `json:"tls,omitempty"`

	// Restore is the snapshot the cluster was bootstrapped from.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Restored From"
	Restore *RestoreStatus `json:"restore,omitempty"`
}

// MemberStatus is one etcd member as etcd reports it.
type MemberStatus struct {
	// Name of the member, which is also its pod's name.
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Member Name",xDescriptors={"urn:alm:descriptor:text"}
	Name string `json:"name"`

	// ID is etcd's member ID, in hexadecimal.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Member ID",xDescriptors={"urn:alm:descriptor:text"}
	ID string `json:"id,omitempty"`

	// PeerURL the member advertises to its peers.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Peer URL",xDescriptors={"urn:alm:descriptor:text"}
	PeerURL string `json:"peerURL,omitempty"`

	// ClientURL the member advertises to clients.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Client URL",xDescriptors={"urn:alm:descriptor:text"}
	ClientURL string `json:"clientURL,omitempty"`

	// Learner is true for a member that does not vote yet.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Learner",xDescriptors={"urn:alm:descriptor:text"}
	Learner bool `json:"learner,omitempty"`

	// Leader is true for the raft leader.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Leader",xDescriptors={"urn:alm:descriptor:text"}
	Leader bool `json:"leader,omitempty"`

	// Healthy is true when the member answered its status call without errors.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Healthy",xDescriptors={"urn:alm:descriptor:text"}
	Healthy bool `json:"healthy"`

	// Version is the etcd server version the member runs.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Member Version",xDescriptors={"urn:alm:descriptor:text"}
	Version string `json:"version,omitempty"`

	// DBSizeBytes is the size of the member's database file.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Database Size (bytes)",xDescriptors={"urn:alm:descriptor:text"}
	DBSizeBytes int64 `json:"dbSizeBytes,omitempty"`

	// DBSizeInUseBytes is how much of the database file holds live data;
	// the rest is free pages that only a defragmentation returns.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Database In Use (bytes)",xDescriptors={"urn:alm:descriptor:text"}
	DBSizeInUseBytes int64 `json:"dbSizeInUseBytes,omitempty"`

	// RaftIndexLag is how many raft entries the member trails the leader by,
	// as seen at the last health check; a member that keeps lagging is slow
	// or partitioned.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Raft Index Lag",xDescriptors={"urn:alm:descriptor:text"}
	RaftIndexLag int64 `json:"raftIndexLag,omitempty"`

	// DataUID is the UID of what held the member's data when it was last
	// healthy: its pod for EmptyDir storage, its claim for PersistentVolume.
	// A member whose pod comes back on another one has lost its data, and
	// the operator replaces it with a new member.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Data UID",xDescriptors={"urn:alm:descriptor:text"}
	DataUID string `json:"dataUID,omitempty"`

	// Errors the member reported (alarms such as NOSPACE, or why it could not be reached).
	// +listType=atomic
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Errors",xDescriptors={"urn:alm:descriptor:text"}
	Errors []string `json:"errors,omitempty"`
}

// EtcdCluster is an etcd cluster managed by the operator.
// +operator-sdk:csv:customresourcedefinitions:displayName="etcd Cluster",resources={{StatefulSet,v1},{Service,v1},{ConfigMap,v1},{Pod,v1},{PersistentVolumeClaim,v1},{Event,v1}}
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=etcdc,categories=etcd
// +kubebuilder:printcolumn:name="Size",type=integer,JSONPath=`.spec.size`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyMembers`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.currentVersion`
// +kubebuilder:printcolumn:name="Cluster Version",type=string,JSONPath=`.status.clusterVersion`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// A version goes back only while etcd's cluster version has not reached the
// newer minor: the way back from a member that failed on a new version.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.spec.version) || !has(self.spec.version) || !isSemver(self.spec.version) || !isSemver(oldSelf.spec.version) || semver(self.spec.version).compareTo(semver(oldSelf.spec.version)) >= 0 || (has(self.status) && has(self.status.clusterVersion) && isSemver(self.status.clusterVersion) && semver(self.spec.version).major() == semver(self.status.clusterVersion).major() && semver(self.spec.version).minor() >= semver(self.status.clusterVersion).minor())",messageExpression="'etcd does not support downgrades: version cannot go from ' + oldSelf.spec.version + ' to ' + self.spec.version + ': a version goes back only while status.clusterVersion is below the minor it leaves'"
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 52",message="metadata.name must be at most 52 characters: it names the StatefulSet and its pods"
// +kubebuilder:validation:XValidation:rule="self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must be a DNS label (lowercase letters, digits and '-', starting with a letter): it names Services and member host names"
type EtcdCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired cluster.
	// +kubebuilder:default={}
	// +optional
	Spec EtcdClusterSpec `json:"spec,omitempty"`

	// Status is what the operator observed.
	// +optional
	Status EtcdClusterStatus `json:"status,omitempty"`
}

// EtcdClusterList is a list of EtcdCluster.
// +kubebuilder:object:root=true
type EtcdClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EtcdCluster `json:"items"`
}
