package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// t0 is the test clock: tests never read the real one.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const day = 24 * time.Hour

func mustCA(t *testing.T, cn string) *CA {
	t.Helper()
	ca, err := NewCA(cn, 365*day, t0)
	if err != nil {
		t.Fatalf("NewCA(%q): %v", cn, err)
	}
	return ca
}

func mustIssue(t *testing.T, ca *CA, req Request, now time.Time) *Leaf {
	t.Helper()
	leaf, err := ca.Issue(req, now)
	if err != nil {
		t.Fatalf("Issue(%q): %v", req.CommonName, err)
	}
	return leaf
}

func serverRequest() Request {
	return Request{
		CommonName: "etcd-0",
		DNSNames:   []string{"etcd-0.etcd.ns.svc", "*.etcd-peer.ns.svc.cluster.local", "localhost"},
		IPs:        []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		Usage:      Server,
		Lifetime:   90 * day,
	}
}

// noSecrets fails when err shows any part of a key or PEM.
func noSecrets(t *testing.T, err error, keyPEMs ...[]byte) {
	t.Helper()
	msg := err.Error()
	if strings.Contains(msg, "-----") || strings.Contains(msg, "PRIVATE KEY-") {
		t.Errorf("error shows PEM: %s", msg)
	}
	for _, k := range keyPEMs {
		for _, line := range strings.Split(string(k), "\n") {
			if len(line) >= 16 && !strings.HasPrefix(line, "-----") && strings.Contains(msg, line[:16]) {
				t.Errorf("error shows key material: %s", msg)
			}
		}
	}
}

func TestNewCA(t *testing.T) {
	ca := mustCA(t, "etcd-ca")
	c := ca.Cert
	if !c.BasicConstraintsValid || !c.IsCA || c.MaxPathLen != 0 || !c.MaxPathLenZero {
		t.Errorf("basic constraints: valid=%v ca=%v maxPathLen=%d", c.BasicConstraintsValid, c.IsCA, c.MaxPathLen)
	}
	want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	if c.KeyUsage != want {
		t.Errorf("KeyUsage = %v, want %v", c.KeyUsage, want)
	}
	if len(c.SubjectKeyId) != 20 {
		t.Errorf("SubjectKeyId has %d bytes, want 20", len(c.SubjectKeyId))
	}
	if c.Subject.CommonName != "etcd-ca" || c.Subject.String() != c.Issuer.String() {
		t.Errorf("subject %q issuer %q, want self-signed etcd-ca", c.Subject, c.Issuer)
	}
	if !c.NotBefore.Equal(t0.Add(-time.Hour)) || !c.NotAfter.Equal(t0.Add(365*day)) {
		t.Errorf("valid %s to %s", c.NotBefore, c.NotAfter)
	}
	if _, ok := ca.Key.(*ecdsa.PrivateKey); !ok {
		t.Errorf("key is a %T, want ECDSA", ca.Key)
	}
	if block, _ := pem.Decode(ca.KeyPEM); block == nil || block.Type != "PRIVATE KEY" {
		t.Errorf("KeyPEM is not a PKCS#8 PRIVATE KEY block")
	}
	for _, bad := range []struct {
		cn       string
		lifetime time.Duration
	}{{"", day}, {"ca", 0}, {"ca", -day}} {
		if _, err := NewCA(bad.cn, bad.lifetime, t0); err == nil {
			t.Errorf("NewCA(%q, %v) succeeded", bad.cn, bad.lifetime)
		}
	}
}

func TestCASubjectsDiffer(t *testing.T) {
	a, b := mustCA(t, "etcd-ca"), mustCA(t, "etcd-ca")
	if a.Cert.Subject.String() == b.Cert.Subject.String() {
		t.Errorf("two CAs share the subject %q", a.Cert.Subject)
	}
	if a.Cert.Subject.CommonName != b.Cert.Subject.CommonName {
		t.Errorf("common names %q and %q differ", a.Cert.Subject.CommonName, b.Cert.Subject.CommonName)
	}
}

func TestIssue(t *testing.T) {
	ca := mustCA(t, "etcd-ca")
	tests := []struct {
		usage Usage
		want  []x509.ExtKeyUsage
	}{
		{Server, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
		{Peer, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
		{Client, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	}
	for _, tt := range tests {
		t.Run(tt.usage.String(), func(t *testing.T) {
			req := serverRequest()
			req.Usage = tt.usage
			leaf := mustIssue(t, ca, req, t0)
			c := leaf.Cert
			if !slices.Equal(c.ExtKeyUsage, tt.want) {
				t.Errorf("ExtKeyUsage = %v, want %v", c.ExtKeyUsage, tt.want)
			}
			if c.KeyUsage != x509.KeyUsageDigitalSignature || c.IsCA {
				t.Errorf("KeyUsage = %v, IsCA = %v", c.KeyUsage, c.IsCA)
			}
			if !bytes.Equal(c.AuthorityKeyId, ca.Cert.SubjectKeyId) {
				t.Errorf("AuthorityKeyId is not the CA's SubjectKeyId")
			}
			if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 128 {
				t.Errorf("serial %v is not a positive 128-bit number", c.SerialNumber)
			}
			if !c.NotBefore.Equal(t0.Add(-time.Hour)) || !c.NotAfter.Equal(t0.Add(90*day)) {
				t.Errorf("valid %s to %s", c.NotBefore, c.NotAfter)
			}
			if err := Check(c, ca.CertPEM, req, t0); err != nil {
				t.Errorf("Check: %v", err)
			}
			if _, err := leaf.TLSCertificate(); err != nil {
				t.Errorf("TLSCertificate: %v", err)
			}
		})
	}
}

func TestIssueWithinCA(t *testing.T) {
	ca, err := NewCA("short-ca", 10*time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	req := serverRequest()
	req.Lifetime = 100 * time.Hour
	leaf := mustIssue(t, ca, req, t0.Add(time.Hour+500*time.Millisecond))
	if leaf.Cert.NotAfter.After(ca.Cert.NotAfter) {
		t.Errorf("leaf NotAfter %s is past the CA's %s", leaf.Cert.NotAfter, ca.Cert.NotAfter)
	}
	if !leaf.Cert.NotAfter.Equal(ca.Cert.NotAfter) {
		t.Errorf("leaf NotAfter %s, want the CA's %s", leaf.Cert.NotAfter, ca.Cert.NotAfter)
	}
	if _, err := ca.Issue(req, ca.Cert.NotAfter); err == nil {
		t.Errorf("Issue by an expired CA succeeded")
	}
	for _, bad := range []Request{
		{CommonName: "", Usage: Server, Lifetime: day},
		{CommonName: "x", Usage: Server, Lifetime: 0},
		{CommonName: "x", Usage: Usage(7), Lifetime: day},
	} {
		if _, err := ca.Issue(bad, t0); err == nil {
			t.Errorf("Issue(%+v) succeeded", bad)
		}
	}
}

func TestRenewAt(t *testing.T) {
	nb := t0
	cert := &x509.Certificate{NotBefore: nb, NotAfter: nb.Add(90 * day)}
	tests := []struct {
		name        string
		cert        *x509.Certificate
		renewBefore time.Duration
		want        time.Time
	}{
		{"default is two thirds", cert, 0, nb.Add(60 * day)},
		{"negative is default", cert, -time.Hour, nb.Add(60 * day)},
		{"explicit", cert, 7 * day, nb.Add(83 * day)},
		{"never before NotBefore", cert, 100 * day, nb},
		{"nil is due now", nil, 0, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RenewAt(tt.cert, tt.renewBefore); !got.Equal(tt.want) {
				t.Errorf("RenewAt = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseCA(t *testing.T) {
	ca := mustCA(t, "etcd-ca")
	other := mustCA(t, "etcd-ca")
	leaf := mustIssue(t, ca, serverRequest(), t0)
	ecKey := ecPEM(t, ca.Key.(*ecdsa.PrivateKey))

	got, err := ParseCA(ca.CertPEM, ecKey)
	if err != nil {
		t.Fatalf("ParseCA with an EC key: %v", err)
	}
	if !got.Cert.Equal(ca.Cert) || !bytes.Equal(got.CertPEM, ca.CertPEM) || !bytes.Equal(got.KeyPEM, ca.KeyPEM) {
		t.Errorf("ParseCA did not round-trip")
	}
	if _, err := ParseCA(ca.CertPEM, ca.KeyPEM); err != nil {
		t.Errorf("ParseCA with a PKCS#8 key: %v", err)
	}
	tests := []struct {
		name          string
		cert, key     []byte
		wantInMessage string
	}{
		{"leaf is not a CA", leaf.CertPEM, leaf.KeyPEM, "is not a CA"},
		{"mismatched key", ca.CertPEM, other.KeyPEM, "does not match"},
		{"no certificate", ca.KeyPEM, ca.KeyPEM, "no CERTIFICATE"},
		{"no key", ca.CertPEM, ca.CertPEM, "no private key"},
		{"garbage certificate", pemBlock("CERTIFICATE", []byte("junk")), ca.KeyPEM, "parsing certificate"},
		{"garbage key", ca.CertPEM, pemBlock("PRIVATE KEY", []byte("junk")), "parsing PRIVATE KEY"},
		{"encrypted key", ca.CertPEM, pemBlock("ENCRYPTED PRIVATE KEY", []byte("x")), "encrypted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCA(tt.cert, tt.key)
			if err == nil {
				t.Fatal("ParseCA succeeded")
			}
			if ReasonOf(err) != ReasonMalformed || !strings.Contains(err.Error(), tt.wantInMessage) {
				t.Errorf("error %q (reason %q), want %q (Malformed)", err, ReasonOf(err), tt.wantInMessage)
			}
			noSecrets(t, err, tt.key, ca.KeyPEM, other.KeyPEM)
		})
	}
}

// TestParseCARSA: a CA brought by the user may have a PKCS#1 RSA key.
func TestParseCARSA(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "rsa-ca"},
		NotBefore: t0.Add(-day), NotAfter: t0.Add(day),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := ParseCA(pemBlock("CERTIFICATE", der), pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)))
	if err != nil {
		t.Fatalf("ParseCA: %v", err)
	}
	leaf := mustIssue(t, ca, serverRequest(), t0)
	if err := Check(leaf.Cert, ca.CertPEM, serverRequest(), t0); err != nil {
		t.Errorf("Check of a leaf of an RSA CA: %v", err)
	}
}

func TestParseLeaf(t *testing.T) {
	ca := mustCA(t, "etcd-ca")
	leaf := mustIssue(t, ca, serverRequest(), t0)
	other := mustIssue(t, ca, serverRequest(), t0)
	got, err := ParseLeaf(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatalf("ParseLeaf: %v", err)
	}
	if !got.Cert.Equal(leaf.Cert) || !bytes.Equal(got.CertPEM, leaf.CertPEM) || !bytes.Equal(got.KeyPEM, leaf.KeyPEM) {
		t.Errorf("ParseLeaf did not round-trip")
	}
	// A chain after the leaf is ignored.
	if _, err := ParseLeaf(append(slices.Clone(leaf.CertPEM), ca.CertPEM...), leaf.KeyPEM); err != nil {
		t.Errorf("ParseLeaf of leaf+CA: %v", err)
	}
	_, err = ParseLeaf(leaf.CertPEM, other.KeyPEM)
	if err == nil {
		t.Fatal("ParseLeaf accepted another leaf's key")
	}
	if ReasonOf(err) != ReasonMalformed || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("error %q (reason %q), want a Malformed key mismatch", err, ReasonOf(err))
	}
	noSecrets(t, err, leaf.KeyPEM, other.KeyPEM)
}

func TestBundle(t *testing.T) {
	a, b, c := mustCA(t, "a"), mustCA(t, "b"), mustCA(t, "c")
	got := Bundle(a.CertPEM, b.CertPEM, a.CertPEM, a.KeyPEM, []byte("junk"), pemBlock("CERTIFICATE", []byte("x")))
	if want := append(slices.Clone(a.CertPEM), b.CertPEM...); !bytes.Equal(got, want) {
		t.Errorf("Bundle =\n%s\nwant a then b", got)
	}
	if got := Bundle(Bundle(a.CertPEM, b.CertPEM), b.CertPEM, c.CertPEM); len(certDERs(got)) != 3 {
		t.Errorf("Bundle of a bundle holds %d certificates, want 3", len(certDERs(got)))
	}
	if got := Bundle(); len(got) != 0 {
		t.Errorf("Bundle() = %q, want empty", got)
	}
}

func TestReasonOf(t *testing.T) {
	if got := ReasonOf(nil); got != "" {
		t.Errorf("ReasonOf(nil) = %q", got)
	}
	if got := ReasonOf(net.UnknownNetworkError("x")); got != "" {
		t.Errorf("ReasonOf(foreign error) = %q", got)
	}
}

func ecPEM(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// openssl ecparam -genkey writes the curve first.
	return append(pemBlock("EC PARAMETERS", []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}), pemBlock("EC PRIVATE KEY", der)...)
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
