package v1alpha1

import "k8s.io/apimachinery/pkg/api/resource"

// MaintenanceMode says whether the operator does a kind of database care.
// +kubebuilder:validation:Enum=Auto;Off
type MaintenanceMode string

const (
	// MaintenanceAuto: the operator does it when the policy says so.
	MaintenanceAuto MaintenanceMode = "Auto"
	// MaintenanceOff: left to a person.
	MaintenanceOff MaintenanceMode = "Off"
)

// MaintenanceSpec is the operator's care of the members' databases. Every
// action is taken on one member at a time, followers first and the leader
// only after its leadership has moved to a member already done, and never
// while a member is unhealthy, the membership changes or pods roll.
type MaintenanceSpec struct {
	// Defragmentation returns a member's free pages to the filesystem once
	// they pass a threshold.
	// +kubebuilder:default={}
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Defragmentation",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:advanced"}
	Defragmentation DefragmentationSpec `json:"defragmentation,omitempty"`

	// NoSpaceRecovery, when Auto, answers a NOSPACE alarm: the operator
	// compacts the history to the current revision, defragments each member
	// whose database is near the quota, and disarms the alarm once every
	// member's data in use is under 80% of tuning.quotaBackendBytes. While
	// live data alone is above that, the alarm stays and the Degraded
	// condition says to delete keys or raise the quota. Off leaves the
	// alarm to a person.
	// +kubebuilder:default=Auto
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="NOSPACE Recovery",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:select:Auto","urn:alm:descriptor:com.tectonic.ui:select:Off","urn:alm:descriptor:com.tectonic.ui:advanced"}
	NoSpaceRecovery MaintenanceMode `json:"noSpaceRecovery,omitempty"`
}

// DefragmentationSpec is when a member is defragmented: its database is at
// least minDBSize and at least minFreePercent of it is free pages (the
// defaults are OpenShift's: 100Mi and 45%). Members stop serving clients
// while they defragment (etcd's stop-gRPC-on-defrag setting is on), so
// clients move to another member.
type DefragmentationSpec struct {
	// Mode is Auto (the operator defragments by this policy) or Off.
	// +kubebuilder:default=Auto
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Defragmentation Mode",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:select:Auto","urn:alm:descriptor:com.tectonic.ui:select:Off","urn:alm:descriptor:com.tectonic.ui:advanced"}
	Mode MaintenanceMode `json:"mode,omitempty"`

	// MinDBSize is the smallest database file that is defragmented.
	// +kubebuilder:default="100Mi"
	// +kubebuilder:validation:XValidation:rule="!quantity(string(self)).isLessThan(quantity('0'))",message="maintenance.defragmentation.minDBSize must not be negative"
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Minimum Database Size",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text","urn:alm:descriptor:com.tectonic.ui:advanced"}
	MinDBSize *resource.Quantity `json:"minDBSize,omitempty"`

	// MinFreePercent is the share of the database file, in percent, that
	// must be free pages for a defragmentation.
	// +kubebuilder:default=45
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=99
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Minimum Free Percent",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:number","urn:alm:descriptor:com.tectonic.ui:advanced"}
	MinFreePercent int32 `json:"minFreePercent,omitempty"`
}
