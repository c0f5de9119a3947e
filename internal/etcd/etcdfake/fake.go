// Package etcdfake is an in-memory etcd.Dialer for unit tests of the
// controller's pure logic: a member list that membership calls change, and
// a record of those calls. It is no etcd: integration tests use real
// embedded members (test/etcdtest).
package etcdfake

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
)

// Dialer hands out one fake Cluster per key.
type Dialer struct {
	mu       sync.Mutex
	clusters map[types.NamespacedName]*Cluster
}

var _ etcd.Dialer = (*Dialer)(nil)

// NewDialer returns a dialer with no clusters: Dial of an unknown key
// gives a client whose calls fail as if nothing answered.
func NewDialer() *Dialer {
	return &Dialer{clusters: map[types.NamespacedName]*Cluster{}}
}

// Set makes key's client answer as c.
func (d *Dialer) Set(key types.NamespacedName, c *Cluster) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clusters[key] = c
}

// Dial returns key's cluster.
func (d *Dialer) Dial(key types.NamespacedName, _ []string, _ *tls.Config) (etcd.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.clusters[key]; ok {
		return c, nil
	}
	return &Cluster{Unreachable: true}, nil
}

// Forget drops key's cluster.
func (d *Dialer) Forget(key types.NamespacedName) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.clusters, key)
}

// Cluster is a fake etcd cluster: State is what Inspect returns; the
// membership calls change it and are recorded in Calls.
type Cluster struct {
	mu    sync.Mutex
	State etcdstate.Cluster
	// Unreachable makes every call fail as a cluster without quorum.
	Unreachable bool
	// Fail makes the named call ("AddLearner", "Remove"...) fail with it.
	Fail map[string]error
	// Version is the cluster version ClusterVersion answers.
	Version string
	// Calls lists the calls made, e.g. "Promote 2a".
	Calls []string
	next  uint64
}

var _ etcd.Client = (*Cluster)(nil)

// ErrUnreachable is what an unreachable fake answers.
var ErrUnreachable = errors.New("etcdfake: no member answered")

func (c *Cluster) record(call string, arg any) error {
	c.Calls = append(c.Calls, fmt.Sprintf("%s %v", call, arg))
	if c.Unreachable {
		return ErrUnreachable
	}
	return c.Fail[call]
}

// Inspect returns a copy of State.
func (c *Cluster) Inspect(context.Context, func(etcdstate.Member) string) (*etcdstate.Cluster, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Unreachable {
		return nil, ErrUnreachable
	}
	out := c.State
	out.Members = append([]etcdstate.Member(nil), c.State.Members...)
	return &out, nil
}

// AddLearner adds an unstarted learner with peerURL.
func (c *Cluster) AddLearner(_ context.Context, peerURL string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.record("AddLearner", peerURL); err != nil {
		return err
	}
	for _, m := range c.State.Members {
		if len(m.PeerURLs) > 0 && m.PeerURLs[0] == peerURL {
			return nil
		}
	}
	c.next++
	c.State.Members = append(c.State.Members, etcdstate.Member{
		ID: 0xf000 + c.next, PeerURLs: []string{peerURL}, Learner: true, Errors: []string{"not started"},
	})
	return nil
}

// Promote makes learner id a voter.
func (c *Cluster) Promote(_ context.Context, id uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.record("Promote", etcdstate.HexID(id)); err != nil {
		return err
	}
	for i := range c.State.Members {
		if c.State.Members[i].ID == id {
			c.State.Members[i].Learner = false
		}
	}
	return nil
}

// Remove drops member id.
func (c *Cluster) Remove(_ context.Context, id uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.record("Remove", etcdstate.HexID(id)); err != nil {
		return err
	}
	kept := c.State.Members[:0]
	for _, m := range c.State.Members {
		if m.ID != id {
			kept = append(kept, m)
		}
	}
	c.State.Members = kept
	return nil
}

// MoveLeader makes member to the leader.
func (c *Cluster) MoveLeader(_ context.Context, _ string, to uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.record("MoveLeader", etcdstate.HexID(to)); err != nil {
		return err
	}
	c.State.LeaderID = to
	for i := range c.State.Members {
		c.State.Members[i].Leader = c.State.Members[i].ID == to
	}
	return nil
}

// Nudge records the call.
func (c *Cluster) Nudge(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.record("Nudge", "")
}

// Compact records the call.
func (c *Cluster) Compact(_ context.Context, revision int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.record("Compact", revision)
}

// Defragment records the call.
func (c *Cluster) Defragment(_ context.Context, endpoint string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.record("Defragment", endpoint)
}

// Disarm records the call.
func (c *Cluster) Disarm(_ context.Context, alarm string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.record("Disarm", alarm)
}

// ClusterVersion answers Version.
func (c *Cluster) ClusterVersion(context.Context, string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Unreachable {
		return "", ErrUnreachable
	}
	return c.Version, nil
}

// CallList returns a copy of the calls made so far.
func (c *Cluster) CallList() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.Calls...)
}
