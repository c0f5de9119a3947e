package controller

import (
	"crypto/tls"
	"crypto/x509"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/etcd-operator/etcd-operator/internal/certs"
	"github.com/etcd-operator/etcd-operator/internal/pki"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// clientTLS holds one TLS configuration per cluster for the operator's
// etcd clients. The configuration itself never changes (the client pool
// keeps its connections while the pointer is the same); the certificate
// and the trusted CAs behind it are swapped when the Secrets change, and
// the next handshake uses them.
type clientTLS struct {
	mu      sync.Mutex
	configs map[types.NamespacedName]*clusterTLS
}

type clusterTLS struct {
	mu    sync.RWMutex
	cert  *tls.Certificate
	roots *x509.CertPool
	// What cert and roots were built from: parsed certificates are never
	// changed, so the same leaf pointer means the same material.
	rootsPEM string
	leaf     *pki.Leaf
	config   *tls.Config
}

// config is key's TLS configuration with the operator-client certificate
// and the CA of set; nil while they do not exist.
func (c *clientTLS) config(key types.NamespacedName, names resources.Cluster, set certs.Set) *tls.Config {
	leaf := set.Leaves[certs.OperatorClient]
	roots := set.Bundle[certs.OperatorClient]
	if set.CA != nil {
		roots = set.CA.CertPEM
	}
	if len(roots) == 0 || leaf == nil {
		return nil
	}
	c.mu.Lock()
	if c.configs == nil {
		c.configs = map[types.NamespacedName]*clusterTLS{}
	}
	ct, ok := c.configs[key]
	if !ok {
		ct = newClusterTLS(names.ClientServiceHost())
		c.configs[key] = ct
	}
	c.mu.Unlock()
	ct.update(roots, leaf)
	return ct.config
}

// forget drops key's configuration.
func (c *clientTLS) forget(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.configs, key)
}

// newClusterTLS verifies a member against the cluster's current CA and
// the client Service's name, which every member's server certificate
// carries: the operator dials pod IPs, which no certificate names.
func newClusterTLS(serverName string) *clusterTLS {
	ct := &clusterTLS{}
	ct.config = &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: serverName,
		// Verified in VerifyConnection against the current roots, which a
		// static RootCAs could not follow through a rotation.
		InsecureSkipVerify: true, //nolint:gosec // verified below
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			ct.mu.RLock()
			defer ct.mu.RUnlock()
			return ct.cert, nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			ct.mu.RLock()
			roots := ct.roots
			ct.mu.RUnlock()
			return pki.VerifyServer(cs, roots, serverName)
		},
	}
	return ct
}

func (ct *clusterTLS) update(rootsPEM []byte, leaf *pki.Leaf) {
	ct.mu.RLock()
	same := ct.rootsPEM == string(rootsPEM) && ct.leaf == leaf
	ct.mu.RUnlock()
	if same {
		return
	}
	cert, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		return // ParseLeaf accepted it; keep the previous one
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootsPEM) {
		return // checked before; keep the previous one
	}
	ct.mu.Lock()
	defer ct.mu.Unlock()
	ct.cert, ct.roots, ct.rootsPEM, ct.leaf = &cert, roots, string(rootsPEM), leaf
}
