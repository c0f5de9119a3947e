package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"time"
)

// CA is a certificate authority: its certificate and private key.
type CA struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
	KeyPEM  []byte // PKCS#8 "PRIVATE KEY"
}

// NewCA makes a self-signed CA (ECDSA P-256) valid from now-1h (clock skew)
// to now+lifetime. Its subject is commonName plus the CA's random serial
// (as the subject's SerialNumber): a TLS client picks its certificate by the
// CA subjects the server accepts, so two CAs, old and new during rotation,
// must not share a subject even when they share a name.
func NewCA(commonName string, lifetime time.Duration, now time.Time) (*CA, error) {
	if commonName == "" {
		return nil, errors.New("new CA: empty common name")
	}
	if lifetime <= 0 {
		return nil, fmt.Errorf("new CA %q: lifetime %v is not positive", commonName, lifetime)
	}
	key, err := newKey()
	if err != nil {
		return nil, fmt.Errorf("new CA %q: %w", commonName, err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, fmt.Errorf("new CA %q: %w", commonName, err)
	}
	ski, err := subjectKeyID(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("new CA %q: %w", commonName, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName, SerialNumber: serial.Text(16)},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     now.Add(lifetime),
		KeyUsage:     x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		// The CA signs leaves only, never another CA.
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          ski,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("new CA %q: signing: %w", commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("new CA %q: parsing what was signed: %w", commonName, err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, fmt.Errorf("new CA %q: %w", commonName, err)
	}
	return &CA{Cert: cert, Key: key, CertPEM: encodeCert(der), KeyPEM: keyPEM}, nil
}

// ParseCA reads a CA from PEM (the first certificate; a PKCS#8, EC or
// PKCS#1 key), and fails when the certificate is not a CA or the key does
// not match it. CertPEM and KeyPEM of the result are normalized: the one
// certificate, and the key as PKCS#8. Errors are *Error with
// ReasonMalformed.
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, wrapError(ReasonMalformed, err, "CA certificate")
	}
	if !cert.BasicConstraintsValid || !cert.IsCA {
		return nil, newError(ReasonMalformed, "CA certificate %q is not a CA", cert.Subject)
	}
	if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, newError(ReasonMalformed, "CA certificate %q may not sign certificates", cert.Subject)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, wrapError(ReasonMalformed, err, "CA key")
	}
	if err := matchKey(cert, key); err != nil {
		return nil, wrapError(ReasonMalformed, err, "CA %q", cert.Subject)
	}
	normalKey, err := encodeKey(key)
	if err != nil {
		return nil, wrapError(ReasonMalformed, err, "CA %q", cert.Subject)
	}
	return &CA{Cert: cert, Key: key, CertPEM: encodeCert(cert.Raw), KeyPEM: normalKey}, nil
}
