package etcd

import (
	"crypto/tls"
	"slices"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"k8s.io/apimachinery/pkg/types"
)

// Pool is the clientv3 Dialer: it keeps one client per EtcdCluster and
// re-targets it only when the cluster's endpoints change.
type Pool struct {
	timeouts Timeouts
	logger   *zap.Logger

	mu      sync.Mutex
	clients map[types.NamespacedName]*conn
}

var _ Dialer = (*Pool)(nil)

// NewPool returns an empty pool.
func NewPool(t Timeouts) *Pool {
	return &Pool{timeouts: t, logger: zap.NewNop(), clients: map[types.NamespacedName]*conn{}}
}

// Dial returns the client of cluster key for endpoints, creating it on
// first use and again when the TLS configuration changes. clientv3.New
// does not wait for a connection, so this never blocks.
func (p *Pool) Dial(key types.NamespacedName, endpoints []string, tlsConfig *tls.Config) (Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[key]; ok {
		if c.tls == tlsConfig {
			if !slices.Equal(c.endpoints, endpoints) {
				// A member was added or removed: the balancer learns the new set.
				c.cli.SetEndpoints(endpoints...)
				c.endpoints = slices.Clone(endpoints)
			}
			return c, nil
		}
		_ = c.cli.Close()
		delete(p.clients, key)
	}
	cli, err := clientv3.New(p.config(endpoints, tlsConfig))
	if err != nil {
		return nil, err
	}
	c := &conn{cli: cli, pool: p, tls: tlsConfig, endpoints: slices.Clone(endpoints)}
	p.clients[key] = c
	return c, nil
}

// config is the one clientv3 configuration of the operator: the pooled
// clients and the short-lived ones pinned to a leader both use it.
func (p *Pool) config(endpoints []string, tlsConfig *tls.Config) clientv3.Config {
	return clientv3.Config{
		Endpoints:            endpoints,
		TLS:                  tlsConfig,
		DialTimeout:          p.timeouts.Dial,
		DialKeepAliveTime:    10 * time.Second,
		DialKeepAliveTimeout: p.timeouts.Call,
		Logger:               p.logger,
		// gRPC's default reconnect back-off grows to two minutes: a client
		// made before the pods resolve would notice them late. Members are
		// on the cluster network, so retrying every second at most is cheap.
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: p.timeouts.Dial,
		})},
		// Keeps the endpoint set under the operator's control: member
		// client URLs may not resolve from where the operator runs.
		RejectOldCluster: false,
	}
}

// Forget closes and drops the client of a deleted cluster.
func (p *Pool) Forget(key types.NamespacedName) {
	p.mu.Lock()
	c, ok := p.clients[key]
	delete(p.clients, key)
	p.mu.Unlock()
	if ok {
		_ = c.cli.Close()
	}
}

// Len is the number of open clients.
func (p *Pool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.clients)
}

// Has tells whether the pool holds a client for cluster key.
func (p *Pool) Has(key types.NamespacedName) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.clients[key]
	return ok
}

// Close closes every client; for the manager's shutdown.
func (p *Pool) Close() {
	p.mu.Lock()
	clients := p.clients
	p.clients = map[types.NamespacedName]*conn{}
	p.mu.Unlock()
	for _, c := range clients {
		_ = c.cli.Close()
	}
}
