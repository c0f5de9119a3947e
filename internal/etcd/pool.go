// Package etcd talks to the etcd clusters the operator manages through
// clientv3: one long-lived client per cluster, short timeouts on every call.
package etcd

import (
	"slices"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"k8s.io/apimachinery/pkg/types"
)

// Timeouts bound every conversation with etcd so that one unreachable
// cluster cannot hold a reconcile worker.
type Timeouts struct {
	// Dial bounds connecting to an endpoint.
	Dial time.Duration
	// Call bounds one request (member list, status, member add...).
	Call time.Duration
}

// DefaultTimeouts suit a cluster inside the same Kubernetes cluster.
var DefaultTimeouts = Timeouts{Dial: 2 * time.Second, Call: 2 * time.Second}

// Pool keeps one client per EtcdCluster and replaces it only when the
// cluster's endpoints change.
type Pool struct {
	timeouts Timeouts
	logger   *zap.Logger

	mu      sync.Mutex
	clients map[types.NamespacedName]*pooled
}

type pooled struct {
	client    *clientv3.Client
	endpoints []string
}

// NewPool returns an empty pool.
func NewPool(t Timeouts) *Pool {
	return &Pool{timeouts: t, logger: zap.NewNop(), clients: map[types.NamespacedName]*pooled{}}
}

// Timeouts returns the pool's timeouts.
func (p *Pool) Timeouts() Timeouts { return p.timeouts }

// Client returns the client of cluster key for endpoints, creating it on
// first use. clientv3.New does not wait for a connection, so this never blocks.
func (p *Pool) Client(key types.NamespacedName, endpoints []string) (*clientv3.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[key]; ok {
		if slices.Equal(c.endpoints, endpoints) {
			return c.client, nil
		}
		// A member was added or removed: the balancer learns the new set.
		c.client.SetEndpoints(endpoints...)
		c.endpoints = slices.Clone(endpoints)
		return c.client, nil
	}
	c, err := clientv3.New(clientv3.Config{
		Endpoints:            endpoints,
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
	})
	if err != nil {
		return nil, err
	}
	p.clients[key] = &pooled{client: c, endpoints: slices.Clone(endpoints)}
	return c, nil
}

// Forget closes and drops the client of a deleted cluster.
func (p *Pool) Forget(key types.NamespacedName) {
	p.mu.Lock()
	c, ok := p.clients[key]
	delete(p.clients, key)
	p.mu.Unlock()
	if ok {
		_ = c.client.Close()
	}
}

// Len is the number of open clients.
func (p *Pool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.clients)
}

// Close closes every client; for the manager's shutdown.
func (p *Pool) Close() {
	p.mu.Lock()
	clients := p.clients
	p.clients = map[types.NamespacedName]*pooled{}
	p.mu.Unlock()
	for _, c := range clients {
		_ = c.client.Close()
	}
}
