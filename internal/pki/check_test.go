package pki

import (
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"
)

func TestCheckFailures(t *testing.T) {
	ca := mustCA(t, "etcd-ca")
	other := mustCA(t, "etcd-ca") // same name, another key
	server := serverRequest()
	leaf := mustIssue(t, ca, server, t0)
	foreign := mustIssue(t, other, server, t0)
	clientReq := server
	clientReq.Usage = Client
	client := mustIssue(t, ca, clientReq, t0)
	noIPReq := server
	noIPReq.IPs = nil
	noIP := mustIssue(t, ca, noIPReq, t0)

	withDNS := server
	withDNS.DNSNames = append([]string{"etcd-1.etcd.ns.svc"}, server.DNSNames...)
	otherCN := server
	otherCN.CommonName = "etcd-1"

	tests := []struct {
		name   string
		cert   *x509.Certificate
		roots  []byte
		req    Request
		now    time.Time
		reason string
		msg    string
	}{
		{"expired", leaf.Cert, ca.CertPEM, server, leaf.Cert.NotAfter.Add(time.Second), ReasonExpired, "certificate expired at 2030-04-02T03:04:05Z"},
		{"not yet valid", leaf.Cert, ca.CertPEM, server, leaf.Cert.NotBefore.Add(-time.Second), ReasonNotYetValid, "not valid until"},
		{"signed by another CA", foreign.Cert, ca.CertPEM, server, t0, ReasonUntrustedIssuer, "not signed by the trusted CA"},
		{"missing DNS name", leaf.Cert, ca.CertPEM, withDNS, t0, ReasonMissingSAN, "missing DNS name etcd-1.etcd.ns.svc"},
		{"missing IP", noIP.Cert, ca.CertPEM, server, t0, ReasonMissingSAN, "missing IP 127.0.0.1"},
		{"client checked as server", client.Cert, ca.CertPEM, server, t0, ReasonWrongUsage, "no serverAuth usage"},
		{"other common name", leaf.Cert, ca.CertPEM, otherCN, t0, ReasonWrongSubject, `common name is "etcd-0", want "etcd-1"`},
		{"no roots", leaf.Cert, nil, server, t0, ReasonMalformed, "no trusted CA"},
		{"key as roots", leaf.Cert, ca.KeyPEM, server, t0, ReasonMalformed, "no trusted CA"},
		{"no certificate", nil, ca.CertPEM, server, t0, ReasonMalformed, "no certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.cert, tt.roots, tt.req, tt.now)
			if err == nil {
				t.Fatal("Check passed")
			}
			t.Log(err)
			if got := ReasonOf(err); got != tt.reason {
				t.Errorf("ReasonOf(%q) = %q, want %q", err, got, tt.reason)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			noSecrets(t, err, ca.KeyPEM, leaf.KeyPEM)
		})
	}
}

func TestCheckPasses(t *testing.T) {
	ca := mustCA(t, "etcd-ca")
	server := serverRequest()
	leaf := mustIssue(t, ca, server, t0)
	asClient := server
	asClient.Usage = Client
	fewer := server
	fewer.DNSNames, fewer.IPs, fewer.CommonName = []string{"localhost"}, []net.IP{net.ParseIP("::1")}, ""
	mapped := server
	mapped.IPs = []net.IP{net.ParseIP("127.0.0.1").To4()}

	tests := []struct {
		name string
		req  Request
		now  time.Time
	}{
		{"as issued", server, t0},
		{"a server certificate is fit as a client one", asClient, t0},
		{"a subset of the names, any common name", fewer, t0},
		{"4-byte IPv4", mapped, t0},
		{"at NotBefore", server, leaf.Cert.NotBefore},
		{"at NotAfter", server, leaf.Cert.NotAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Check(leaf.Cert, ca.CertPEM, tt.req, tt.now); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

func TestCheckWildcards(t *testing.T) {
	ca := mustCA(t, "etcd-ca")
	const zone = "etcd-peer.ns.svc.cluster.local"
	wild := mustIssue(t, ca, Request{CommonName: "etcd-0", DNSNames: []string{"*." + zone}, Usage: Peer, Lifetime: day}, t0)
	concrete := mustIssue(t, ca, Request{CommonName: "etcd-0", DNSNames: []string{"etcd-0." + zone}, Usage: Peer, Lifetime: day}, t0)
	tests := []struct {
		name string
		cert *x509.Certificate
		want string
		ok   bool
	}{
		{"same wildcard", wild.Cert, "*." + zone, true},
		{"wildcard covers one label", wild.Cert, "etcd-0." + zone, true},
		{"case and trailing dot", wild.Cert, "ETCD-0." + strings.ToUpper(zone) + ".", true},
		{"wildcard covers only one label", wild.Cert, "a.etcd-0." + zone, false},
		{"wildcard does not cover the zone", wild.Cert, zone, false},
		{"wildcard does not cover a broader wildcard", wild.Cert, "*.ns.svc.cluster.local", false},
		{"wildcard does not cover a narrower wildcard", wild.Cert, "*.x." + zone, false},
		{"wildcard does not cover another zone", wild.Cert, "etcd-0.other.ns.svc", false},
		{"concrete name covers itself", concrete.Cert, "etcd-0." + zone, true},
		{"concrete name does not cover a wildcard", concrete.Cert, "*." + zone, false},
		{"concrete name does not cover a sibling", concrete.Cert, "etcd-1." + zone, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := Request{DNSNames: []string{tt.want}, Usage: Peer}
			err := Check(tt.cert, ca.CertPEM, req, t0)
			if tt.ok && err != nil {
				t.Errorf("Check: %v", err)
			}
			if !tt.ok && ReasonOf(err) != ReasonMissingSAN {
				t.Errorf("Check = %v, want MissingSAN", err)
			}
		})
	}
}

// TestCheckTrustBundle: during CA rotation the bundle holds both CAs, and
// leaves of either pass.
func TestCheckTrustBundle(t *testing.T) {
	oldCA, newCA, stranger := mustCA(t, "etcd-ca"), mustCA(t, "etcd-ca"), mustCA(t, "etcd-ca")
	bundle := Bundle(oldCA.CertPEM, newCA.CertPEM)
	req := serverRequest()
	for _, ca := range []*CA{oldCA, newCA} {
		leaf := mustIssue(t, ca, req, t0)
		if err := Check(leaf.Cert, bundle, req, t0); err != nil {
			t.Errorf("leaf of %s: %v", ca.Cert.Subject, err)
		}
	}
	leaf := mustIssue(t, stranger, req, t0)
	if err := Check(leaf.Cert, bundle, req, t0); ReasonOf(err) != ReasonUntrustedIssuer {
		t.Errorf("leaf of a third CA: %v, want UntrustedIssuer", err)
	}
}
