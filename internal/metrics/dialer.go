package metrics

import (
	"context"
	"crypto/tls"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
)

// InstrumentDialer times every call of the clients d gives, and counts
// those that fail, in r.
func InstrumentDialer(d etcd.Dialer, r *Recorder) etcd.Dialer {
	if r == nil {
		return d
	}
	return dialer{Dialer: d, r: r}
}

type dialer struct {
	etcd.Dialer
	r *Recorder
}

func (d dialer) Dial(key types.NamespacedName, endpoints []string, tlsConfig *tls.Config) (etcd.Client, error) {
	c, err := d.Dialer.Dial(key, endpoints, tlsConfig)
	if err != nil {
		return nil, err
	}
	return timedClient{c: c, key: key, r: d.r}, nil
}

// timedClient records each call of c.
type timedClient struct {
	c   etcd.Client
	key types.NamespacedName
	r   *Recorder
}

// timed runs f, the call named call, and records it.
func (t timedClient) timed(call string, f func() error) error {
	start := time.Now()
	err := f()
	t.r.EtcdCall(t.key, call, time.Since(start), err)
	return err
}

func (t timedClient) Inspect(ctx context.Context, statusEndpoint func(etcdstate.Member) string) (*etcdstate.Cluster, error) {
	var cl *etcdstate.Cluster
	err := t.timed("Inspect", func() (err error) {
		cl, err = t.c.Inspect(ctx, statusEndpoint)
		return err
	})
	return cl, err
}

func (t timedClient) AddLearner(ctx context.Context, peerURL string) error {
	return t.timed("AddLearner", func() error { return t.c.AddLearner(ctx, peerURL) })
}

func (t timedClient) Promote(ctx context.Context, id uint64) error {
	return t.timed("Promote", func() error { return t.c.Promote(ctx, id) })
}

func (t timedClient) Remove(ctx context.Context, id uint64) error {
	return t.timed("Remove", func() error { return t.c.Remove(ctx, id) })
}

func (t timedClient) MoveLeader(ctx context.Context, leaderEndpoint string, to uint64) error {
	return t.timed("MoveLeader", func() error { return t.c.MoveLeader(ctx, leaderEndpoint, to) })
}

func (t timedClient) Nudge(ctx context.Context) error {
	return t.timed("Nudge", func() error { return t.c.Nudge(ctx) })
}

func (t timedClient) Compact(ctx context.Context, revision int64) error {
	return t.timed("Compact", func() error { return t.c.Compact(ctx, revision) })
}

func (t timedClient) Defragment(ctx context.Context, endpoint string) error {
	return t.timed("Defragment", func() error { return t.c.Defragment(ctx, endpoint) })
}

func (t timedClient) Disarm(ctx context.Context, alarm string) error {
	return t.timed("Disarm", func() error { return t.c.Disarm(ctx, alarm) })
}

func (t timedClient) ClusterVersion(ctx context.Context, endpoint string) (string, error) {
	var v string
	err := t.timed("ClusterVersion", func() error {
		var err error
		v, err = t.c.ClusterVersion(ctx, endpoint)
		return err
	})
	return v, err
}
