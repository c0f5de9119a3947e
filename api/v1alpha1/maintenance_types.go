package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

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

	// Window, when set, is when a defragmentation may start; unset, any
	// time. NOSPACE recovery does not wait for it.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Defragmentation Window",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:advanced"}
	Window *MaintenanceWindow `json:"window,omitempty"`
}

// MaintenanceWindow opens each time Schedule fires, for Duration. A
// defragmentation started inside it runs to its end.
type MaintenanceWindow struct {
	// Schedule is a standard 5-field cron expression (minute hour
	// day-of-month month day-of-week, numbers, '*', ',', '-' and '/'),
	// evaluated in UTC: "0 2 * * 6" is Saturdays at 02:00 UTC.
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9*,/-]+( [0-9*,/-]+){4}$')",message="maintenance.defragmentation.window.schedule must be a 5-field cron expression of numbers, '*', ',', '-' and '/' (in UTC), for example \"0 2 * * 6\""
	// +required
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Schedule",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text","urn:alm:descriptor:com.tectonic.ui:advanced"}
	Schedule string `json:"schedule"`

	// Duration is how long the window stays open, from 1m to 24h.
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m') && duration(self) <= duration('24h')",message="maintenance.defragmentation.window.duration must be from 1m to 24h"
	// +required
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Duration",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text","urn:alm:descriptor:com.tectonic.ui:advanced"}
	Duration metav1.Duration `json:"duration"`
}
