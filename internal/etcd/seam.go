// Package etcd is the operator's one seam to the etcd clusters it manages:
// a narrow Client of the calls the controller makes, a Dialer that gives
// one per cluster for a set of endpoints and a TLS configuration, and their
// clientv3 implementation, the Pool (one long-lived client per cluster,
// short timeouts on every call, the clientv3 configuration built in one
// place). Package etcdfake holds an in-memory Dialer for unit tests.
package etcd

import (
	"context"
	"crypto/tls"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
)

// Client is what the controller asks of one etcd cluster. Every call is
// bounded by the call timeout and safe to repeat: a change already made
// is not an error. Snapshot belongs here when backups arrive.
type Client interface {
	// Inspect lists the members and asks each started member for its
	// status where statusEndpoint says it is reached ("" when it has no
	// address; nil means the client URL it advertises). A member that does
	// not answer is reported, not an error: the error is for a cluster
	// whose member list cannot be read at all.
	Inspect(ctx context.Context, statusEndpoint func(etcdstate.Member) string) (*etcdstate.Cluster, error)
	// AddLearner adds a non-voting member with peerURL.
	AddLearner(ctx context.Context, peerURL string) error
	// Promote makes learner id a voting member.
	Promote(ctx context.Context, id uint64) error
	// Remove removes member id.
	Remove(ctx context.Context, id uint64) error
	// MoveLeader asks the leader, reached at leaderEndpoint, to hand
	// leadership to member to.
	MoveLeader(ctx context.Context, leaderEndpoint string, to uint64) error
	// Nudge has the cluster commit one entry that changes nothing.
	Nudge(ctx context.Context) error
	// Compact compacts the history up to revision and waits until the
	// members' databases have let it go; a revision already compacted is
	// not an error. Bounded by the maintenance timeout, not the call's.
	Compact(ctx context.Context, revision int64) error
	// Defragment defragments the member reached at endpoint; bounded by
	// the maintenance timeout, not the call's.
	Defragment(ctx context.Context, endpoint string) error
	// Disarm clears every raised alarm of the given type (NOSPACE).
	Disarm(ctx context.Context, alarm string) error
	// ClusterVersion is the cluster version etcd agreed on, as the member
	// at endpoint reports it ("3.6.0"; "" while undecided).
	ClusterVersion(ctx context.Context, endpoint string) (string, error)
}

// Dialer gives the Client of one cluster. Dial never blocks on the
// network: connections are made by the calls.
type Dialer interface {
	// Dial returns the client of cluster key for endpoints over tlsConfig
	// (nil: plain HTTP), reusing the one it gave before when it can.
	Dial(key types.NamespacedName, endpoints []string, tlsConfig *tls.Config) (Client, error)
	// Forget closes and drops the client of cluster key.
	Forget(key types.NamespacedName)
}

// Timeouts bound every conversation with etcd so that one unreachable
// cluster cannot hold a reconcile worker.
type Timeouts struct {
	// Dial bounds connecting to an endpoint.
	Dial time.Duration
	// Call bounds one request (member list, status, member add...).
	Call time.Duration
	// Maintenance bounds a compaction or a defragmentation, which take
	// seconds to minutes on a large database and are run off the
	// reconcile path.
	Maintenance time.Duration
}

// DefaultTimeouts suit a cluster inside the same Kubernetes cluster; a
// defragmentation of an 8 GiB database takes minutes.
var DefaultTimeouts = Timeouts{Dial: 2 * time.Second, Call: 2 * time.Second, Maintenance: 15 * time.Minute}
