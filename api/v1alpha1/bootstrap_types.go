package v1alpha1

// DefaultBumpRevision is how far a restore moves etcd's revision past the
// snapshot's: far enough that no watcher (a kube-apiserver) that saw
// revisions after the backup is sent back in time (etcd-io/etcd#16028).
const DefaultBumpRevision int64 = 1000000000

// BootstrapSpec starts a new cluster from existing data instead of empty.
type BootstrapSpec struct {
	// Backup is a Succeeded EtcdBackup of this namespace whose snapshot
	// every member is restored from before it first starts.
	// +required
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Restore From Backup"
	Backup BootstrapBackup `json:"backup"`
}

// BootstrapBackup names the backup to restore and how.
type BootstrapBackup struct {
	// Name of the EtcdBackup.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Backup",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	Name string `json:"name"`

	// BumpRevision moves the restored revision this far past the
	// snapshot's and marks it compacted, so that watchers are never sent
	// back in time (default 1000000000; 0 restores the revision as it was).
	// +kubebuilder:validation:Minimum=0
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Bump Revision",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:number","urn:alm:descriptor:com.tectonic.ui:advanced"}
	BumpRevision *int64 `json:"bumpRevision,omitempty"`
}

// RestoreStatus records what a cluster was restored from, fixed when it
// was first bootstrapped: the members' pods keep using it, whatever
// happens to the EtcdBackup later.
type RestoreStatus struct {
	// Backup is the EtcdBackup named in spec.bootstrap.
	Backup string `json:"backup"`
	// Location of the snapshot object.
	Location string `json:"location"`
	// SHA256 every member checks the object against before restoring it.
	SHA256 string `json:"sha256"`
	// Revision the snapshot holds at least.
	// +optional
	Revision int64 `json:"revision,omitempty"`
	// Destination is the backup's destination, which the members read.
	Destination BackupDestination `json:"destination"`
	// Key is the object's key (S3) or path (claim) in the destination.
	Key string `json:"key"`
}
