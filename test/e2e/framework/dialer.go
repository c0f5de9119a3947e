//go:build e2e || olm

package framework

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"github.com/etcd-operator/etcd-operator/internal/resources"
)

const (
	// CallTimeout bounds every etcd call of a health check.
	CallTimeout = 500 * time.Millisecond
	// DialTimeout bounds the TCP probe before a Status call: a member that
	// does not listen yet answers at once instead of costing CallTimeout.
	DialTimeout = 200 * time.Millisecond
)

// Dialer builds the suites' etcd clients: it carries the URL scheme of the
// members' client URLs and, for https, the TLS configuration. The host
// reaches pod IPs directly; members advertise DNS names it cannot resolve,
// so no client syncs the member list.
type Dialer struct {
	// Scheme is "http" or "https".
	Scheme string
	// TLS is the clients' TLS configuration; nil for http.
	TLS *tls.Config
}

// HTTP is the dialer of a cluster served without TLS, as today.
func HTTP() Dialer { return Dialer{Scheme: "http"} }

// URL is the client URL of a member, or of a Service, at ip.
func (d Dialer) URL(ip string) string {
	return resources.Cluster{Scheme: d.Scheme}.PodClientURL(ip)
}

// config is a client configuration of exactly endpoints.
func (d Dialer) config(dialTimeout time.Duration, endpoints ...string) clientv3.Config {
	return clientv3.Config{Endpoints: endpoints, DialTimeout: dialTimeout, TLS: d.TLS, Logger: zap.NewNop()}
}

// New is a client of exactly the given endpoints, for a few calls.
func (d Dialer) New(endpoints ...string) (*clientv3.Client, error) {
	return clientv3.New(d.config(CallTimeout, endpoints...))
}

// NewProbe is a long-lived client of one member whose reconnect back-off
// is capped at 100 ms, so that a member that starts listening is seen at
// once.
func (d Dialer) NewProbe(endpoint string) (*clientv3.Client, error) {
	cfg := d.config(DialTimeout, endpoint)
	cfg.DialOptions = []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
		Backoff:           backoff.Config{BaseDelay: 20 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 100 * time.Millisecond},
		MinConnectTimeout: DialTimeout,
	})}
	return clientv3.New(cfg)
}

// NewApp is a long-lived client as an application would hold one: short
// dial timeout and, like internal/etcd/pool.go, a reconnect back-off of
// at most half a second instead of gRPC's two minutes, so that a
// connection to a member that went away is replaced at once.
func (d Dialer) NewApp(endpoints ...string) (*clientv3.Client, error) {
	cfg := d.config(time.Second, endpoints...)
	cfg.DialKeepAliveTime = 10 * time.Second // etcd refuses pings more often than every 5 s
	cfg.DialKeepAliveTimeout = 2 * time.Second
	cfg.DialOptions = []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
		Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 500 * time.Millisecond},
		MinConnectTimeout: time.Second,
	})}
	return clientv3.New(cfg)
}

// Status is etcd's Status of the member at ip, within DialTimeout +
// CallTimeout. A fresh client each time: a long-lived one would wait out
// gRPC's reconnect back-off and blur a measurement.
func (d Dialer) Status(ctx context.Context, ip string) (*clientv3.StatusResponse, error) {
	if ip == "" {
		return nil, errors.New("no pod IP yet")
	}
	u, err := url.Parse(d.URL(ip))
	if err != nil {
		return nil, err
	}
	nd := net.Dialer{Timeout: DialTimeout}
	conn, err := nd.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("not listening: %w", err)
	}
	_ = conn.Close()
	c, err := d.New(d.URL(ip))
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	return c.Status(cctx, d.URL(ip))
}
