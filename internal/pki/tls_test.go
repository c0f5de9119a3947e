package pki

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"
)

const serverName = "etcd-0.etcd.ns.svc"

// TestTLSHandshake: the leaves work with crypto/tls under mutual
// authentication, as etcd uses them.
func TestTLSHandshake(t *testing.T) {
	ca, other := mustCA(t, "etcd-ca"), mustCA(t, "etcd-ca")
	server := mustIssue(t, ca, serverRequest(), t0)
	peer := serverRequest()
	peer.Usage = Peer
	peerLeaf := mustIssue(t, ca, peer, t0)
	client := Request{CommonName: "root", Usage: Client, Lifetime: day}
	clientLeaf := mustIssue(t, ca, client, t0)
	foreignClient := mustIssue(t, other, client, t0)
	foreignServer := mustIssue(t, other, serverRequest(), t0)
	named := serverRequest()
	named.Usage = Client
	namedClient := mustIssue(t, ca, named, t0) // the server's names, clientAuth only

	tests := []struct {
		name           string
		server, client *Leaf
		// offer makes the client send its certificate even when its CA
		// is not one the server asked for.
		offer  bool
		wantCN string // the client's CN the server sees; "" = refused
	}{
		{"client to server", server, clientLeaf, false, "root"},
		{"server leaf dials its own member", server, server, false, "etcd-0"},
		{"peer to peer", peerLeaf, peerLeaf, false, "etcd-0"},
		{"client of another CA is not offered", server, foreignClient, false, ""},
		{"client of another CA is refused", server, foreignClient, true, ""},
		{"server of another CA is refused", foreignServer, clientLeaf, false, ""},
		{"a client leaf cannot serve", namedClient, clientLeaf, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotCN, err := handshake(t, tt.server, tt.client, tt.offer, ca)
			if tt.wantCN == "" {
				if err == nil {
					t.Errorf("handshake succeeded, want refused")
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if gotCN != tt.wantCN {
				t.Errorf("server saw client %q, want %q", gotCN, tt.wantCN)
			}
		})
	}
}

// handshake runs a TLS handshake over loopback between server and client,
// both trusting ca, and returns the client CN the server saw and the first
// error of either side.
func handshake(t *testing.T, server, client *Leaf, offer bool, ca *CA) (string, error) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	clock := func() time.Time { return t0 }
	serverCfg := &tls.Config{
		Certificates: []tls.Certificate{mustTLS(t, server)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    roots,
		Time:         clock,
		MinVersion:   tls.VersionTLS12,
	}
	clientCfg := &tls.Config{
		Certificates: []tls.Certificate{mustTLS(t, client)},
		RootCAs:      roots,
		ServerName:   serverName,
		Time:         clock,
		MinVersion:   tls.VersionTLS12,
	}
	if offer {
		cert := clientCfg.Certificates[0]
		clientCfg.Certificates = nil
		clientCfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &cert, nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer func() { _ = ln.Close() }()

	type result struct {
		cn  string
		err error
	}
	done := make(chan result, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer func() { _ = conn.Close() }()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(conn, serverCfg)
		if err := tc.Handshake(); err != nil {
			done <- result{err: err}
			return
		}
		done <- result{cn: tc.ConnectionState().PeerCertificates[0].Subject.CommonName}
	}()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	clientErr := tls.Client(conn, clientCfg).Handshake()
	// With TLS 1.3 the client finishes before the server has judged its
	// certificate: the server's verdict is the one that counts.
	_ = conn.Close()
	res := <-done
	if clientErr != nil {
		return "", clientErr
	}
	return res.cn, res.err
}

func mustTLS(t *testing.T, l *Leaf) tls.Certificate {
	t.Helper()
	c, err := l.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
