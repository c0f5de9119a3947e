// Package etcdtest runs real etcd members in the test process
// (go.etcd.io/etcd/server/v3/embed) on loopback, so that tests without pods
// still talk to etcd through clientv3.
package etcdtest

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Cluster is a set of embedded etcd members.
type Cluster struct {
	Token string

	// QuotaBackendBytes is each member's database quota (0: etcd's
	// default), set before Start to raise NOSPACE with little data.
	QuotaBackendBytes int64
	// ElectionMs is the election timeout (0: 500 ms, with a tick of a
	// tenth of it). A run that must see no leader change on a loaded
	// machine sets it longer.
	ElectionMs uint

	mu      sync.Mutex
	members map[string]*member
}

type member struct {
	etcd      *embed.Etcd
	dir       string
	peerURL   string
	clientURL string
}

// NewCluster returns an empty cluster; Start bootstraps it.
func NewCluster(token string) *Cluster {
	return &Cluster{Token: token, members: map[string]*member{}}
}

// Start bootstraps members as a new cluster, each on the peer URL peerURL
// gives it, and waits until each is ready.
func (c *Cluster) Start(peerURL func(name string) string, names ...string) error {
	ms := make([]*member, len(names))
	initial := make([]string, len(names))
	for i, n := range names {
		m, err := newMember()
		if err != nil {
			return err
		}
		m.peerURL = peerURL(n)
		ms[i] = m
		initial[i] = n + "=" + m.peerURL
	}
	errs := make(chan error, len(names))
	for i, n := range names {
		go func() { errs <- c.run(n, ms[i], strings.Join(initial, ","), embed.ClusterStateFlagNew) }()
	}
	for range names {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

// PeerURL reserves a loopback peer URL for a member that will Join later.
func PeerURL() (string, error) {
	m, err := newMember()
	if err != nil {
		return "", err
	}
	_ = os.RemoveAll(m.dir)
	return m.peerURL, nil
}

// Join starts member name, already added to the cluster with peerURL
// (as a learner or voter), with initial-cluster-state existing.
func (c *Cluster) Join(name, peerURL string, initialCluster map[string]string) error {
	m, err := newMember()
	if err != nil {
		return err
	}
	m.peerURL = peerURL
	parts := make([]string, 0, len(initialCluster))
	for n, u := range initialCluster {
		parts = append(parts, n+"="+u)
	}
	return c.run(name, m, strings.Join(parts, ","), embed.ClusterStateFlagExisting)
}

func (c *Cluster) run(name string, m *member, initial, state string) error {
	cfg := embed.NewConfig()
	cfg.Name = name
	cfg.Dir = m.dir
	cfg.InitialCluster = initial
	cfg.ClusterState = state
	cfg.InitialClusterToken = c.Token
	// Members stopped on purpose log errors that are not test failures.
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.ListenPeerUrls = []url.URL{mustURL(m.peerURL)}
	cfg.AdvertisePeerUrls = cfg.ListenPeerUrls
	cfg.ListenClientUrls = []url.URL{mustURL(m.clientURL)}
	cfg.AdvertiseClientUrls = cfg.ListenClientUrls
	cfg.QuotaBackendBytes = c.QuotaBackendBytes
	cfg.TickMs, cfg.ElectionMs = 50, 500
	if c.ElectionMs > 0 {
		cfg.TickMs, cfg.ElectionMs = c.ElectionMs/10, c.ElectionMs
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return fmt.Errorf("%s failed: %w", name, err)
	case <-time.After(30 * time.Second):
		e.Close()
		return fmt.Errorf("%s not ready after 30s", name)
	}
	m.etcd = e
	c.mu.Lock()
	c.members[name] = m
	c.mu.Unlock()
	return nil
}

// ClientURLs returns the client URLs of the running members, sorted by name.
func (c *Cluster) ClientURLs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var urls []string
	for _, n := range sortedKeys(c.members) {
		m := c.members[n]
		select {
		case <-m.etcd.Server.StopNotify():
			continue
		default:
		}
		urls = append(urls, m.clientURL)
	}
	return urls
}

// ClientURLOf returns a running member's client URL, "" when it does not run.
func (c *Cluster) ClientURLOf(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.members[name]
	if !ok {
		return ""
	}
	select {
	case <-m.etcd.Server.StopNotify():
		return ""
	default:
		return m.clientURL
	}
}

// PeerURLOf returns a running member's peer URL.
func (c *Cluster) PeerURLOf(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.members[name]; ok {
		return m.peerURL
	}
	return ""
}

// Stop stops member name, as a killed pod would.
func (c *Cluster) Stop(name string) {
	c.mu.Lock()
	m, ok := c.members[name]
	delete(c.members, name)
	c.mu.Unlock()
	if ok {
		m.etcd.Close()
		_ = os.RemoveAll(m.dir)
	}
}

// Close stops every member and removes their data.
func (c *Cluster) Close() {
	c.mu.Lock()
	names := sortedKeys(c.members)
	c.mu.Unlock()
	for _, n := range names {
		c.Stop(n)
	}
}

func newMember() (*member, error) {
	peer, err := freePort()
	if err != nil {
		return nil, err
	}
	client, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "etcdtest-")
	if err != nil {
		return nil, err
	}
	return &member{dir: dir, peerURL: fmt.Sprintf("http://127.0.0.1:%d", peer), clientURL: fmt.Sprintf("http://127.0.0.1:%d", client)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func mustURL(s string) url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return *u
}

func sortedKeys(m map[string]*member) []string {
	return slices.Sorted(maps.Keys(m))
}
