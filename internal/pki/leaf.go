package pki

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"time"
)

// Usage of a leaf certificate.
type Usage int

const (
	// Server: serverAuth AND clientAuth (etcd's gateway and grpc-gateway dial
	// the member itself with it).
	Server Usage = iota
	// Peer: serverAuth and clientAuth (members dial each other).
	Peer
	// Client: clientAuth only.
	Client
)

func (u Usage) String() string {
	switch u {
	case Server:
		return "server"
	case Peer:
		return "peer"
	case Client:
		return "client"
	}
	return fmt.Sprintf("Usage(%d)", int(u))
}

// extKeyUsages are the extended key usages a leaf of usage u must carry.
func (u Usage) extKeyUsages() ([]x509.ExtKeyUsage, error) {
	switch u {
	case Server, Peer:
		return []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, nil
	case Client:
		return []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil
	}
	return nil, fmt.Errorf("unknown certificate usage %v", u)
}

// Request says what a leaf certificate must be.
type Request struct {
	CommonName string
	DNSNames   []string
	IPs        []net.IP
	Usage      Usage
	Lifetime   time.Duration
}

// Leaf is an issued or parsed certificate with its key.
type Leaf struct {
	Cert    *x509.Certificate
	CertPEM []byte
	KeyPEM  []byte // PKCS#8 "PRIVATE KEY"
}

// Issue signs a new leaf (fresh ECDSA P-256 key) for req, valid from now-1h
// to now+req.Lifetime, but never outside the CA's own validity: a chain is
// no more valid than its CA. KeyUsageDigitalSignature only (ECDSA keys do
// not encipher keys), ExtKeyUsage from req.Usage, AuthorityKeyId = the CA's
// SubjectKeyId, random 128-bit serial.
func (ca *CA) Issue(req Request, now time.Time) (*Leaf, error) {
	if ca == nil || ca.Cert == nil || ca.Key == nil {
		return nil, errors.New("issue: CA has no certificate or key")
	}
	if req.CommonName == "" {
		return nil, errors.New("issue: empty common name")
	}
	eku, err := req.Usage.extKeyUsages()
	if err != nil {
		return nil, fmt.Errorf("issue %q: %w", req.CommonName, err)
	}
	notBefore, notAfter, err := ca.validity(req.Lifetime, now)
	if err != nil {
		return nil, fmt.Errorf("issue %q: %w", req.CommonName, err)
	}
	key, err := newKey()
	if err != nil {
		return nil, fmt.Errorf("issue %q: %w", req.CommonName, err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, fmt.Errorf("issue %q: %w", req.CommonName, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: req.CommonName},
		DNSNames:              req.DNSNames,
		IPAddresses:           req.IPs,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           eku,
		BasicConstraintsValid: true,
		AuthorityKeyId:        ca.Cert.SubjectKeyId,
	}
	// CreateCertificate checks the signature it made, so a CA whose key does
	// not match its certificate fails here rather than in a TLS handshake.
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("issue %q: signing: %w", req.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("issue %q: parsing what was signed: %w", req.CommonName, err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, fmt.Errorf("issue %q: %w", req.CommonName, err)
	}
	return &Leaf{Cert: cert, CertPEM: encodeCert(der), KeyPEM: keyPEM}, nil
}

// validity is when a leaf issued at now for lifetime is valid: backdated
// for clock skew, clamped to the CA's validity.
func (ca *CA) validity(lifetime time.Duration, now time.Time) (notBefore, notAfter time.Time, err error) {
	if lifetime <= 0 {
		return notBefore, notAfter, fmt.Errorf("lifetime %v is not positive", lifetime)
	}
	if now.Before(ca.Cert.NotBefore) {
		return notBefore, notAfter, fmt.Errorf("CA %q is not valid until %s", ca.Cert.Subject, utc(ca.Cert.NotBefore))
	}
	if !now.Before(ca.Cert.NotAfter) {
		return notBefore, notAfter, fmt.Errorf("CA %q expired at %s", ca.Cert.Subject, utc(ca.Cert.NotAfter))
	}
	notBefore = now.Add(-clockSkew)
	if notBefore.Before(ca.Cert.NotBefore) {
		notBefore = ca.Cert.NotBefore
	}
	notAfter = now.Add(lifetime)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	return notBefore, notAfter, nil
}

// ParseLeaf reads a leaf from PEM (the first certificate; a PKCS#8, EC or
// PKCS#1 key) and fails when the key does not match the certificate.
// CertPEM and KeyPEM of the result are normalized as in ParseCA, so a leaf
// from Issue round-trips to the same bytes. Errors are *Error with
// ReasonMalformed.
func ParseLeaf(certPEM, keyPEM []byte) (*Leaf, error) {
	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, wrapError(ReasonMalformed, err, "leaf certificate")
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, wrapError(ReasonMalformed, err, "leaf key")
	}
	if err := matchKey(cert, key); err != nil {
		return nil, wrapError(ReasonMalformed, err, "leaf %q", cert.Subject)
	}
	normalKey, err := encodeKey(key)
	if err != nil {
		return nil, wrapError(ReasonMalformed, err, "leaf %q", cert.Subject)
	}
	return &Leaf{Cert: cert, CertPEM: encodeCert(cert.Raw), KeyPEM: normalKey}, nil
}

// TLSCertificate is the leaf as crypto/tls wants it, for the operator's own
// etcd client.
func (l *Leaf) TLSCertificate() (tls.Certificate, error) {
	c, err := tls.X509KeyPair(l.CertPEM, l.KeyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("leaf %q as a TLS certificate: %w", l.Cert.Subject, err)
	}
	return c, nil
}
