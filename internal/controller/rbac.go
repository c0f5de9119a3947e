package controller

// The operator's permissions, generated into config/rbac/role.yaml by
// controller-gen. Each verb is one the code uses; rbac_test.go lists them
// and fails when the role grants more.
//
// The workload (StatefulSet, Services, ConfigMap) is written with
// server-side apply, a patch that creates the object when it is missing
// (create); it is never updated or deleted by the operator: owned objects go
// by garbage collection. EtcdClusters and their status are patched, not
// updated; update on the finalizers subresource lets the operator set
// blockOwnerDeletion on the objects it owns. Claims are deleted one by one
// and, on deletion of the cluster, all at once (DeleteAllOf).

// +kubebuilder:rbac:groups=etcd.etcd.io,resources=etcdclusters,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=etcd.etcd.io,resources=etcdclusters/status,verbs=patch
// +kubebuilder:rbac:groups=etcd.etcd.io,resources=etcdclusters/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=statefulsets,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups="",resources=services;configmaps,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=get;list;watch;delete;deletecollection
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
