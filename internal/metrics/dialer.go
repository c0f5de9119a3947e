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

func (t timedClient) done(call string, start time.Time, err error) {
	t.r.EtcdCall(t.key, call, time.Since(start), err)
}

func (t timedClient) Inspect(ctx context.Context, statusEndpoint func(etcdstate.Member) string) (*etcdstate.Cluster, error) {
	start := time.Now()
	cl, err := t.c.Inspect(ctx, statusEndpoint)
	t.done("Inspect", start, err)
	return cl, err
}

func (t timedClient) AddLearner(ctx context.Context, peerURL string) error {
	start := time.Now()
	err := t.c.AddLearner(ctx, peerURL)
	t.done("AddLearner", start, err)
	return err
}

func (t timedClient) Promote(ctx context.Context, id uint64) error {
	start := time.Now()
	err := t.c.Promote(ctx, id)
	t.done("Promote", start, err)
	return err
}

func (t timedClient) Remove(ctx context.Context, id uint64) error {
	start := time.Now()
	err := t.c.Remove(ctx, id)
	t.done("Remove", start, err)
	return err
}

func (t timedClient) MoveLeader(ctx context.Context, leaderEndpoint string, to uint64) error {
	start := time.Now()
	err := t.c.MoveLeader(ctx, leaderEndpoint, to)
	t.done("MoveLeader", start, err)
	return err
}

func (t timedClient) Nudge(ctx context.Context) error {
	start := time.Now()
	err := t.c.Nudge(ctx)
	t.done("Nudge", start, err)
	return err
}
