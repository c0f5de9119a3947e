package membership

import (
	"sort"

	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// maxOrdinal bounds the pod ordinals a member name is looked up among:
// spec.size is at most 9, and one member may be in flight.
const maxOrdinal = 16

// Namer tells which pod an etcd member stands for.
type Namer struct {
	// Cluster is the EtcdCluster's name: pods are Cluster-0, Cluster-1...
	Cluster string
	// PeerURL is the peer URL of a pod.
	PeerURL func(pod string) string
}

// Name is the pod of m: etcd's member name once the member has started
// (the chart sets it to the pod name), else the pod whose peer URL m was
// added with, else the peer URL itself.
func (n Namer) Name(m etcdstate.Member) string {
	if m.Name != "" {
		return m.Name
	}
	for i := range int32(maxOrdinal) {
		pod := n.pod(i)
		for _, u := range m.PeerURLs {
			if u == n.PeerURL(pod) {
				return pod
			}
		}
	}
	if len(m.PeerURLs) > 0 {
		return m.PeerURLs[0]
	}
	return etcdstate.HexID(m.ID)
}

func (n Namer) pod(ordinal int32) string {
	return resources.Cluster{Name: n.Cluster}.Pod(ordinal)
}

func (n Namer) ordinal(pod string) int32 { return resources.Ordinal(n.Cluster, pod) }

func byName(n Namer, ms []etcdstate.Member) map[string]etcdstate.Member {
	out := make(map[string]etcdstate.Member, len(ms))
	for _, m := range ms {
		out[n.Name(m)] = m
	}
	return out
}

func sortedNames(names []string) []string {
	out := append([]string(nil), names...)
	sort.Strings(out)
	return out
}

func with(names []string, add string) []string {
	return sortedNames(append(append([]string(nil), names...), add))
}

func without(names []string, drop string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != drop {
			out = append(out, n)
		}
	}
	return out
}
