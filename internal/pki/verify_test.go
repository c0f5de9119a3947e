package pki

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"
)

// VerifyServer on what a server leaf presents: the name it carries and the
// CA that signed it pass; another name or another CA does not.
func TestVerifyServer(t *testing.T) {
	now := time.Now() // VerifyServer checks validity at the real time
	ca, err := NewCA("ca", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCA("other", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	req := serverRequest()
	req.Lifetime = time.Hour
	leaf := mustIssue(t, ca, req, now)
	cs := tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf.Cert}}
	roots, otherRoots := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(ca.Cert)
	otherRoots.AddCert(other.Cert)
	name := req.DNSNames[0]
	if err := VerifyServer(cs, roots, name); err != nil {
		t.Fatalf("VerifyServer(%q) = %v", name, err)
	}
	for what, err := range map[string]error{
		"another name":   VerifyServer(cs, roots, "elsewhere.example"),
		"another CA":     VerifyServer(cs, otherRoots, name),
		"no certificate": VerifyServer(tls.ConnectionState{}, roots, name),
	} {
		if err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
}
