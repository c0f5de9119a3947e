//go:build e2e

package e2e

import (
	"fmt"
	"time"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

// timings is the run's reporter (framework.Timings): the suite writes it
// to _output/e2e-timings.json and prints it at the end.
var timings = framework.NewTimings(method, ratioDefs, targetDefs)

// Metric keys. Creation keys are built by createKey.
const (
	recoverFollowerPV           = "recover.follower.pv"
	recoverFollowerEmptyDir     = "recover.follower.emptydir"
	recoverLeaderPV             = "recover.leader.pv"
	recoverAllPodsPV            = "recover.allpods.pv"
	createOperatorKilledRunning = "create.3m.pv.operatorKilled.running"
	createOperatorKilledHealthy = "create.3m.pv.operatorKilled.healthy"
	helmInstallPV               = "helm.install.pv"
	helmInstallEmptyDir         = "helm.install.emptydir"
)

var descriptions = map[string]string{
	recoverFollowerPV:           "follower pod deleted -> all members healthy again (PersistentVolume)",
	recoverFollowerEmptyDir:     "follower pod deleted -> all members healthy again (EmptyDir: data lost with the pod)",
	recoverLeaderPV:             "leader pod deleted -> all members healthy again (PersistentVolume)",
	recoverAllPodsPV:            "every pod deleted at once -> all members healthy again (PersistentVolume)",
	createOperatorKilledRunning: "apply -> Running, operator pod force-deleted right after the apply",
	createOperatorKilledHealthy: "apply -> all members healthy, operator pod force-deleted right after the apply",
	helmInstallPV:               "helm install command (not part of the floor: t0 is when it returns)",
	helmInstallEmptyDir:         "helm install command (not part of the floor: t0 is when it returns)",
}

// createKey names a creation metric: what is "running" (apply -> phase
// Running) or "healthy" (apply -> all members healthy in etcd).
func createKey(size int, storage etcdv1alpha1.StorageType, what string) string {
	s := "pv"
	if storage == etcdv1alpha1.StorageEmptyDir {
		s = "emptydir"
	}
	return fmt.Sprintf("create.%dm.%s.%s", size, s, what)
}

// createDescription says what a createKey metric measures.
func createDescription(size int, storage etcdv1alpha1.StorageType, what string) string {
	end := map[string]string{"running": "phase Running", "healthy": "all members healthy in etcd"}[what]
	return fmt.Sprintf("apply -> %s, %d members, %s", end, size, storage)
}

// ratioDefs are the comparisons of the operator with the floor. Targets
// are reported, not asserted.
var ratioDefs = []framework.RatioDef{
	{Name: "creation PV (operator apply->healthy / floor healthy)", Operator: createKey(3, etcdv1alpha1.StoragePersistentVolume, "healthy"), Floor: createKey(3, etcdv1alpha1.StoragePersistentVolume, "healthy"), Target: 1.2},
	{Name: "creation PV (operator apply->Running / floor healthy)", Operator: createKey(3, etcdv1alpha1.StoragePersistentVolume, "running"), Floor: createKey(3, etcdv1alpha1.StoragePersistentVolume, "healthy"), Target: 1.2},
	{Name: "creation PV (operator apply->Running / floor healthy and pods Ready)", Operator: createKey(3, etcdv1alpha1.StoragePersistentVolume, "running"), Floor: createKey(3, etcdv1alpha1.StoragePersistentVolume, "ready"), Target: 1.2},
	{Name: "creation EmptyDir (operator apply->healthy / floor healthy)", Operator: createKey(3, etcdv1alpha1.StorageEmptyDir, "healthy"), Floor: createKey(3, etcdv1alpha1.StorageEmptyDir, "healthy"), Target: 1.2},
	{Name: "creation EmptyDir (operator apply->Running / floor healthy)", Operator: createKey(3, etcdv1alpha1.StorageEmptyDir, "running"), Floor: createKey(3, etcdv1alpha1.StorageEmptyDir, "healthy"), Target: 1.2},
	{Name: "creation EmptyDir (operator apply->Running / floor healthy and pods Ready)", Operator: createKey(3, etcdv1alpha1.StorageEmptyDir, "running"), Floor: createKey(3, etcdv1alpha1.StorageEmptyDir, "ready"), Target: 1.2},
	{Name: "recovery PV, follower pod deleted", Operator: recoverFollowerPV, Floor: recoverFollowerPV, Target: 1.3},
	{Name: "creation PV with TLS / without (both by the operator, apply->Running)", Operator: createKeyTLS(3, etcdv1alpha1.StoragePersistentVolume, "running"),
		Floor: createKey(3, etcdv1alpha1.StoragePersistentVolume, "running"), FloorIsOperator: true, Target: 1.1},
	{Name: "recovery EmptyDir, follower pod deleted", Operator: recoverFollowerEmptyDir, Floor: recoverFollowerEmptyDir, Target: 1.3},
}

const method = "t0 is the apply (the EtcdCluster create call; for the floor, the return of `helm install --wait=false`, " +
	"when the chart's objects exist) or the pod deletion call. Healthy: every live member pod answers clientv3 Status " +
	"(500 ms timeout, polled every 150 ms) without errors, not as a learner, all naming the same leader among them, " +
	"and etcd's member list holds exactly these started voting members. Medians over samples; ratios are operator median / floor median."

// recordFloor and recordOperator add a sample of a metric named in descriptions.
func recordFloor(key string, secs *float64, bound time.Duration) {
	timings.Record(framework.FloorSide, key, descriptions[key], secs, bound)
}

func recordOperator(key string, secs *float64, bound time.Duration) {
	timings.Record(framework.OperatorSide, key, descriptions[key], secs, bound)
}

// recordCreation adds ec's creation times to the operator's side.
func recordCreation(ec *etcdv1alpha1.EtcdCluster, running, healthy *float64) {
	size, storage := int(ec.Spec.Size), storageType(ec)
	key, desc := createKey, createDescription
	if targetOf(ec).TLS {
		key, desc = createKeyTLS, createDescriptionTLS
	}
	timings.Record(framework.OperatorSide, key(size, storage, "running"), desc(size, storage, "running"), running, createBound)
	timings.Record(framework.OperatorSide, key(size, storage, "healthy"), desc(size, storage, "healthy"), healthy, createBound)
}

// createKeyTLS names a creation metric of a cluster with TLS.
func createKeyTLS(size int, storage etcdv1alpha1.StorageType, what string) string {
	return createKey(size, storage, what) + ".tls"
}

func createDescriptionTLS(size int, storage etcdv1alpha1.StorageType, what string) string {
	return createDescription(size, storage, what) + ", TLS (certificates issued by the operator)"
}

// recordFloorCreation adds the floor's creation time of a 3-member cluster.
func recordFloorCreation(storage etcdv1alpha1.StorageType, healthy, ready *float64) {
	timings.Record(framework.FloorSide, createKey(3, storage, "healthy"), "helm install returned -> all members healthy in etcd, 3 members, "+string(storage), healthy, createBound)
	timings.Record(framework.FloorSide, createKey(3, storage, "ready"), "helm install returned -> all members healthy in etcd and all pods Ready (what phase Running also waits for), 3 members, "+string(storage), ready, createBound)
}
