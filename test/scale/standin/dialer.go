package standin

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"k8s.io/apimachinery/pkg/types"

	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
)

// Dialer is an etcd.Dialer whose clients read and change their cluster's
// members in a shared server.
type Dialer struct {
	servers  Servers
	timeouts etcd.Timeouts
	// Calls counts the etcd requests made, as the operator's calls would.
	Calls atomic.Int64

	mu      sync.Mutex
	clients map[types.NamespacedName]*Client
}

var _ etcd.Dialer = (*Dialer)(nil)

// NewDialer returns a dialer over servers.
func NewDialer(servers Servers, t etcd.Timeouts) *Dialer {
	return &Dialer{servers: servers, timeouts: t, clients: map[types.NamespacedName]*Client{}}
}

// Dial implements etcd.Dialer: one clientv3 client per cluster, as the
// pool keeps. Endpoints and TLS are the operator's view of the members and
// are not dialed: the shared servers speak plain HTTP on loopback.
func (d *Dialer) Dial(key types.NamespacedName, _ []string, _ *tls.Config) (etcd.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.clients[key]; ok {
		return c, nil
	}
	server := d.servers.For(key)
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{server}, DialTimeout: d.timeouts.Dial, Logger: zap.NewNop()})
	if err != nil {
		return nil, err
	}
	c := &Client{cli: cli, server: server, keys: keysOf(key), timeout: d.timeouts.Call, calls: &d.Calls}
	d.clients[key] = c
	return c, nil
}

// Forget implements etcd.Dialer.
func (d *Dialer) Forget(key types.NamespacedName) {
	d.mu.Lock()
	c, ok := d.clients[key]
	delete(d.clients, key)
	d.mu.Unlock()
	if ok {
		_ = c.cli.Close()
	}
}

// Open is the number of clients (each one connection) open.
func (d *Dialer) Open() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.clients)
}

// Close closes every client.
func (d *Dialer) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, c := range d.clients {
		_ = c.cli.Close()
		delete(d.clients, k)
	}
}

// Client is one cluster's etcd.Client.
type Client struct {
	cli     *clientv3.Client
	server  string
	keys    keys
	timeout time.Duration
	calls   *atomic.Int64
}

var _ etcd.Client = (*Client)(nil)

// errNoCluster is what a cluster that was never bootstrapped answers: as
// members that do not run yet, nothing.
var errNoCluster = errors.New("standin: no member answered")

func (c *Client) call(ctx context.Context) (context.Context, context.CancelFunc) {
	c.calls.Add(1)
	return context.WithTimeout(ctx, c.timeout)
}

// state reads the cluster's ID, leader and members in one request.
func (c *Client) state(ctx context.Context) (id, leader uint64, members []record, rev int64, err error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	resp, err := c.cli.Get(ctx, c.keys.prefix(), clientv3.WithPrefix())
	if err != nil {
		return 0, 0, nil, 0, err
	}
	for _, kv := range resp.Kvs {
		rev = max(rev, kv.ModRevision)
		switch k := string(kv.Key); {
		case k == c.keys.id():
			id, _ = strconv.ParseUint(string(kv.Value), 16, 64)
		case k == c.keys.leader():
			leader, _ = strconv.ParseUint(string(kv.Value), 16, 64)
		case c.keys.isMember(k):
			var r record
			if err := json.Unmarshal(kv.Value, &r); err != nil {
				return 0, 0, nil, 0, err
			}
			members = append(members, r)
		}
	}
	if id == 0 {
		return 0, 0, nil, 0, errNoCluster
	}
	return id, leader, members, rev, nil
}

// Inspect is a member list (one read of the cluster's keys) and a real
// status call to the server per started member, which clientv3 makes on a
// connection of its own, as it does for a real member. Raft index and
// database size are the cluster's own, so an idle cluster's answer does
// not change.
func (c *Client) Inspect(ctx context.Context, _ func(etcdstate.Member) string) (*etcdstate.Cluster, error) {
	id, leader, members, rev, err := c.state(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	cl := &etcdstate.Cluster{ID: id, Members: make([]etcdstate.Member, len(members))}
	var wg sync.WaitGroup
	for i, r := range members {
		m := &cl.Members[i]
		*m = etcdstate.Member{ID: r.ID, Name: r.Name, PeerURLs: []string{r.PeerURL}, Learner: r.Learner}
		if !r.started() {
			m.Errors = []string{"not started"}
			continue
		}
		m.ClientURLs = []string{r.ClientURL}
		wg.Go(func() {
			sctx, cancel := c.call(ctx)
			defer cancel()
			st, err := c.cli.Status(sctx, c.server)
			if err != nil {
				m.Errors = append(m.Errors, "unreachable: "+err.Error())
				return
			}
			m.Reached, m.Version, m.DBSize = true, st.Version, 20480
			m.RaftIndex, m.Leader = uint64(rev), r.ID == leader
		})
	}
	wg.Wait()
	cl.LeaderID = leader
	return cl, nil
}

// AddLearner implements etcd.Client.
func (c *Client) AddLearner(ctx context.Context, peerURL string) error {
	_, _, members, _, err := c.state(ctx)
	if err != nil {
		return err
	}
	for _, r := range members {
		if r.PeerURL == peerURL {
			return nil
		}
	}
	return c.put(ctx, record{ID: rand.Uint64() | 1, PeerURL: peerURL, Learner: true})
}

// Promote implements etcd.Client; as etcd, it refuses a learner that has
// not started.
func (c *Client) Promote(ctx context.Context, id uint64) error {
	return c.change(ctx, id, func(r *record) error {
		if !r.started() {
			return errors.New("etcdserver: can only promote a learner member which is in sync with leader")
		}
		r.Learner = false
		return nil
	})
}

// Remove implements etcd.Client.
func (c *Client) Remove(ctx context.Context, id uint64) error {
	ctx, cancel := c.call(ctx)
	defer cancel()
	_, err := c.cli.Delete(ctx, c.keys.member(id))
	return err
}

// MoveLeader implements etcd.Client.
func (c *Client) MoveLeader(ctx context.Context, _ string, to uint64) error {
	ctx, cancel := c.call(ctx)
	defer cancel()
	_, err := c.cli.Put(ctx, c.keys.leader(), hex(to))
	return err
}

// Nudge implements etcd.Client.
func (c *Client) Nudge(ctx context.Context) error {
	ctx, cancel := c.call(ctx)
	defer cancel()
	_, err := c.cli.Put(ctx, c.keys.nudge(), "")
	return err
}

func (c *Client) change(ctx context.Context, id uint64, f func(*record) error) error {
	_, _, members, _, err := c.state(ctx)
	if err != nil {
		return err
	}
	for _, r := range members {
		if r.ID == id {
			if err := f(&r); err != nil {
				return err
			}
			return c.put(ctx, r)
		}
	}
	return fmt.Errorf("etcdserver: member %s not found", hex(id))
}

func (c *Client) put(ctx context.Context, r record) error {
	ctx, cancel := c.call(ctx)
	defer cancel()
	_, err := c.cli.Put(ctx, c.keys.member(r.ID), encode(r))
	return err
}

func hex(id uint64) string { return strconv.FormatUint(id, 16) }

// errNoMaintenance: the stand-in's members share one server and keep no
// database of their own; a scale run that asks for care is a bug.
var errNoMaintenance = errors.New("standin: members of a stand-in have no database to compact, defragment or disarm")

// Compact implements etcd.Client.
func (c *Client) Compact(context.Context, int64) error { return errNoMaintenance }

// Defragment implements etcd.Client.
func (c *Client) Defragment(context.Context, string) error { return errNoMaintenance }

// Disarm implements etcd.Client.
func (c *Client) Disarm(context.Context, string) error { return errNoMaintenance }

// ClusterVersion implements etcd.Client: the stand-in server's own, the
// cluster version every member of a stand-in agrees on.
func (c *Client) ClusterVersion(ctx context.Context, _ string) (string, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	st, err := c.cli.Status(ctx, c.server)
	if err != nil {
		return "", err
	}
	var major, minor int
	if _, err := fmt.Sscanf(st.Version, "%d.%d", &major, &minor); err != nil {
		return "", fmt.Errorf("standin: server version %q: %w", st.Version, err)
	}
	return fmt.Sprintf("%d.%d.0", major, minor), nil
}
