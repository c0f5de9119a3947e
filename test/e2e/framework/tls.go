//go:build e2e || olm

package framework

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/etcd-operator/etcd-operator/internal/pki"
)

// DialerOf is the dialer of t's members: plain HTTP, or mutual TLS with
// the application client certificate in t's client Secret (the operator's
// or the user's), which is how an application connects. Members are dialed at pod
// and Service IPs, which no certificate names: their server certificate
// is checked against the client Service's name, which it carries.
func (f *Framework) DialerOf(ctx context.Context, t Target) (Dialer, error) {
	if !t.TLS {
		return f.Dialer, nil
	}
	names := t.Resources()
	secret := names.ClientSecret()
	if t.ClientSecret != "" {
		secret = t.ClientSecret
	}
	s := &corev1.Secret{}
	if err := f.K8s.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: secret}, s); err != nil {
		return Dialer{}, fmt.Errorf("the client Secret of %s/%s: %w", t.Namespace, t.Instance, err)
	}
	cfg, err := ClientTLS(s, names.ClientServiceHost())
	if err != nil {
		return Dialer{}, err
	}
	return Dialer{Scheme: "https", TLS: cfg}, nil
}

// ClientTLS is a client configuration from a Secret with ca.crt, tls.crt
// and tls.key that checks the server's certificate for serverName. clientv3
// verifies a member against the host of the endpoint it dials, whatever
// ServerName says: the check is done here instead, as the operator does.
func ClientTLS(s *corev1.Secret, serverName string) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", s.Name, err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(s.Data["ca.crt"]) {
		return nil, errors.New("secret " + s.Name + ": no CA certificate in ca.crt")
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, ServerName: serverName,
		InsecureSkipVerify: true, //nolint:gosec // verified in VerifyConnection
		VerifyConnection:   func(cs tls.ConnectionState) error { return pki.VerifyServer(cs, roots, serverName) },
	}, nil
}
