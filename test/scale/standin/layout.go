// Package standin answers the operator's etcd calls for many clusters with
// a few real etcd servers, for the scale benchmark: 1,000 clusters of real
// members do not fit on 2 cores. Each cluster's member list lives under
// its own prefix in one shared server; every call the operator makes is a
// real etcd request to that server over its own clientv3 client (one per
// cluster, as the production pool keeps). The World plays what etcd
// members and the StatefulSet controller would do: bootstrap a cluster,
// publish a member when its pod runs.
package standin

import (
	"encoding/json"
	"hash/fnv"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// Servers are the client URLs of the shared etcd servers.
type Servers []string

// For is the server that holds cluster key's members.
func (s Servers) For(key types.NamespacedName) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key.String()))
	return s[int(h.Sum32())%len(s)]
}

// record is one member as the stand-in stores it.
type record struct {
	ID        uint64 `json:"id"`
	Name      string `json:"name,omitempty"`
	PeerURL   string `json:"peerURL"`
	ClientURL string `json:"clientURL,omitempty"`
	Learner   bool   `json:"learner,omitempty"`
}

func (r record) started() bool { return r.ClientURL != "" }

// Keys of one cluster: its ID, its leader, and a key per member.
type keys string

func keysOf(key types.NamespacedName) keys {
	return keys("/standin/" + key.Namespace + "/" + key.Name + "/")
}
func (k keys) prefix() string          { return string(k) }
func (k keys) id() string              { return string(k) + "id" }
func (k keys) leader() string          { return string(k) + "leader" }
func (k keys) nudge() string           { return string(k) + "nudge" }
func (k keys) member(id uint64) string { return string(k) + "m/" + hex(id) }
func (k keys) isMember(key string) bool {
	return strings.HasPrefix(key, string(k)+"m/")
}

func encode(r record) string {
	b, _ := json.Marshal(r)
	return string(b)
}

// Network gives every member pod stable, never-dialed URLs: the Dialer
// routes by cluster, not by address.
type Network struct{}

var _ resources.Network = Network{}

// PeerURL implements resources.Network.
func (Network) PeerURL(c resources.Cluster, pod string) string {
	return "http://" + pod + "." + c.Namespace + ".standin.invalid:2380"
}

// ClientURL implements resources.Network.
func (Network) ClientURL(c resources.Cluster, pod, _ string) string {
	return "http://" + pod + "." + c.Namespace + ".standin.invalid:2379"
}
