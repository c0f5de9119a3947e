// Package values turns an EtcdCluster and the membership the controller has
// decided into the values of the etcd-cluster chart.
package values

import (
	"encoding/json"
	"fmt"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// ClusterState is etcd's --initial-cluster-state.
type ClusterState string

const (
	// StateNew bootstraps a cluster from initialMembers.
	StateNew ClusterState = "new"
	// StateExisting makes a started member join the running cluster.
	StateExisting ClusterState = "existing"
)

// Membership is what the controller decides, never the chart: how many pods
// run and which members a starting pod expects to find.
type Membership struct {
	// Replicas of the StatefulSet.
	Replicas int32
	// State is the initial cluster state a starting pod uses.
	State ClusterState
	// InitialMembers names the members for --initial-cluster; empty means
	// every pod ordinal below Replicas.
	InitialMembers []string
}

// For computes the chart values of ec with membership m, its objects named
// by names (whose DNS domain the member URLs use). The result holds
// only JSON types so that Helm's schema validation sees what a values file
// would give it.
func For(ec *etcdv1alpha1.EtcdCluster, names resources.Cluster, m Membership) (map[string]any, error) {
	spec := ec.Spec
	v := map[string]any{
		"clusterName":   names.Name,
		"clusterDomain": names.Domain,
		"replicas":      m.Replicas,
		"version":       spec.Version,
		"image": map[string]any{
			"repository": spec.Repository,
			"tag":        "v" + spec.Version,
			"digest":     spec.ImageDigest,
			"pullPolicy": string(spec.ImagePullPolicy),
		},
		"cluster": map[string]any{
			"state":          string(m.State),
			"token":          ec.Namespace + "-" + ec.Name + "-" + string(ec.UID),
			"initialMembers": m.InitialMembers,
		},
		"storage": storage(spec.Storage),
		// Empty resources leave the chart's defaultResources (requests
		// only); given ones replace them as a whole.
		"resources":                 spec.Resources,
		"podLabels":                 spec.Pod.Labels,
		"podAnnotations":            spec.Pod.Annotations,
		"nodeSelector":              spec.Pod.NodeSelector,
		"tolerations":               spec.Pod.Tolerations,
		"affinity":                  spec.Pod.Affinity,
		"topologySpreadConstraints": spec.Pod.TopologySpreadConstraints,
		"priorityClassName":         spec.Pod.PriorityClassName,
		"etcd":                      tuning(spec.Tuning),
		"tls":                       tls(names),
	}
	return normalize(v)
}

// tls turns the chart's TLS on for an https cluster, with the Secrets the
// operator keeps its certificates in.
func tls(names resources.Cluster) map[string]any {
	if !names.TLS() {
		return map[string]any{"enabled": false}
	}
	return map[string]any{"enabled": true, "serverSecret": names.ServerSecret(), "peerSecret": names.PeerSecret()}
}

func storage(s etcdv1alpha1.StorageSpec) map[string]any {
	// spec.storage.reclaimPolicy is applied by the operator's finalizer,
	// not by the StatefulSet: with whenDeleted: Delete the StatefulSet
	// controller rewrites every new claim's owner references while the
	// scheduler binds it, the scheduler's update conflicts, and each pod
	// waits out a scheduling back-off (about 3 s at every creation).
	out := map[string]any{"type": string(s.Type), "reclaimPolicy": string(etcdv1alpha1.ReclaimRetain)}
	if s.Size != nil {
		out["size"] = s.Size.String()
	}
	if s.StorageClassName != nil {
		out["storageClassName"] = *s.StorageClassName
	}
	return out
}

func tuning(t etcdv1alpha1.TuningSpec) map[string]any {
	out := map[string]any{
		"heartbeatInterval":       t.HeartbeatIntervalMillis,
		"electionTimeout":         t.ElectionTimeoutMillis,
		"snapshotCount":           t.SnapshotCount,
		"autoCompactionMode":      string(t.AutoCompactionMode),
		"autoCompactionRetention": t.AutoCompactionRetention,
	}
	if t.QuotaBackendBytes != nil {
		out["quotaBackendBytes"] = t.QuotaBackendBytes.Value()
	}
	return out
}

// normalize round-trips v through JSON: typed Kubernetes structs become
// plain maps, empty fields disappear, and numbers become float64 as they
// would from a values file.
func normalize(v map[string]any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding chart values: %w", err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("decoding chart values: %w", err)
	}
	dropEmpty(out)
	return out, nil
}

// ownBlocks are the value blocks the operator builds itself; user data
// (labels, selectors, affinity, resources) is passed through untouched, since
// an empty string is a meaningful label or selector value there.
var ownBlocks = []string{"image", "cluster", "storage", "etcd"}

// dropEmpty removes nulls, empty strings, maps and lists from the top level
// and from the operator's own blocks, so that the chart's defaults apply to
// what the spec leaves out.
func dropEmpty(m map[string]any) {
	for _, block := range ownBlocks {
		if inner, ok := m[block].(map[string]any); ok {
			dropEmptyScalars(inner)
		}
	}
	dropEmptyScalars(m)
}

func dropEmptyScalars(m map[string]any) {
	for k, v := range m {
		switch t := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			if len(t) == 0 {
				delete(m, k)
			}
		case []any:
			if len(t) == 0 {
				delete(m, k)
			}
		case string:
			if t == "" {
				delete(m, k)
			}
		}
	}
}
