//go:build e2e || olm

package framework

import (
	"context"
	"errors"
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Observer looks at an etcd cluster through clientv3: every live pod's
// Status at its pod IP, in parallel, and the member list from the first
// one that answers. Made by Observer it dials fresh for every call; made
// by PooledObserver it keeps one connection per pod IP, for specs that
// look every 100 ms (dozens of dials a second on two cores would slow
// down what is measured).
type Observer struct {
	fw *Framework
	// pool is nil for fresh clients on every call.
	pool *pool
}

// Observer is an observer that dials fresh for every call.
func (f *Framework) Observer() *Observer { return &Observer{fw: f} }

// PooledObserver is an observer through long-lived connections; Close
// closes them.
func (f *Framework) PooledObserver() *Observer {
	return &Observer{fw: f, pool: &pool{clients: map[string]*clientv3.Client{}}}
}

// Observe is one look at t with fresh clients.
func (f *Framework) Observe(ctx context.Context, t Target) (ClusterState, error) {
	return f.Observer().Observe(ctx, t)
}

// Observe asks each live pod of t for its status, in parallel, and the
// first one that answers for etcd's member list.
func (o *Observer) Observe(ctx context.Context, t Target) (ClusterState, error) {
	d, err := o.fw.DialerOf(ctx, t)
	if err != nil {
		return ClusterState{}, err
	}
	pods, err := o.fw.LivePods(ctx, t)
	if err != nil {
		return ClusterState{}, err
	}
	st := ClusterState{Members: make([]MemberState, len(pods))}
	var wg sync.WaitGroup
	for i, p := range pods {
		ip := p.Status.PodIP
		st.Members[i] = MemberState{Pod: p.Name, PodUID: p.UID, IP: ip, URL: d.URL(ip), Ready: PodReady(p)}
		wg.Go(func() {
			m := &st.Members[i]
			m.Status, m.Err = o.status(ctx, d, m.IP)
		})
	}
	wg.Wait()
	st.ListErr = errors.New("no member answered")
	for _, m := range st.Members {
		if m.Err == nil {
			st.List, st.ListErr = o.memberList(ctx, d, m.URL)
			break
		}
	}
	return st, nil
}

// Close closes a pooled observer's connections; a no-op otherwise.
func (o *Observer) Close() {
	if o.pool != nil {
		o.pool.close()
	}
}

func (o *Observer) status(ctx context.Context, d Dialer, ip string) (*clientv3.StatusResponse, error) {
	if o.pool == nil {
		return d.Status(ctx, ip)
	}
	if ip == "" {
		return nil, errors.New("no pod IP yet")
	}
	c, err := o.pool.client(d, d.URL(ip))
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	// Not c.Status, which dials a new connection on every call.
	resp, err := pb.NewMaintenanceClient(c.ActiveConnection()).Status(cctx, &pb.StatusRequest{})
	if err != nil {
		return nil, err
	}
	return (*clientv3.StatusResponse)(resp), nil
}

func (o *Observer) memberList(ctx context.Context, d Dialer, endpoint string) ([]*pb.Member, error) {
	if o.pool == nil {
		return d.MemberList(ctx, endpoint)
	}
	c, err := o.pool.client(d, endpoint)
	if err != nil {
		return nil, err
	}
	return memberListOf(ctx, c)
}

// MemberList is etcd's member list as the member at endpoint has it.
func (d Dialer) MemberList(ctx context.Context, endpoint string) ([]*pb.Member, error) {
	c, err := d.New(endpoint)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	return memberListOf(ctx, c)
}

func memberListOf(ctx context.Context, c *clientv3.Client) ([]*pb.Member, error) {
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	resp, err := c.MemberList(cctx)
	if err != nil {
		return nil, err
	}
	return resp.Members, nil
}

// pool is one long-lived probe connection per member URL.
type pool struct {
	mu      sync.Mutex
	clients map[string]*clientv3.Client
}

// client is the connection to endpoint, made by d on first use.
func (p *pool) client(d Dialer, endpoint string) (*clientv3.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[endpoint]; ok {
		return c, nil
	}
	c, err := d.NewProbe(endpoint)
	if err != nil {
		return nil, err
	}
	p.clients[endpoint] = c
	return c, nil
}

func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ep, c := range p.clients {
		_ = c.Close()
		delete(p.clients, ep)
	}
}
