// Package pki makes, parses and checks the certificates of etcd members:
// the CA the operator keeps, and the server, peer and client leaves it
// signs. It uses only the standard library's crypto and decides nothing
// about when to issue: the caller asks, this package answers.
//
// Keys and PEM never appear in an error message: errors name the
// certificate by its subject, which is public.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"
	"time"
)

// clockSkew backdates NotBefore, so a certificate is already valid on a
// member whose clock runs a little behind the operator's.
const clockSkew = time.Hour

// serialLimit is 2^128: serials are random 128-bit integers, which RFC 5280
// wants unique per issuer and CA/B guidance wants unpredictable.
var serialLimit = new(big.Int).Lsh(big.NewInt(1), 128)

// newKey makes a P-256 key: small, fast, and accepted by every etcd and
// Go TLS version the operator runs.
func newKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating ECDSA P-256 key: %w", err)
	}
	return key, nil
}

func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, serialLimit)
	if err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	if n.Sign() == 0 {
		n.SetInt64(1) // serials must be positive
	}
	return n, nil
}

// subjectKeyID is RFC 7093 method 1: the leftmost 160 bits of the SHA-256
// of the public key's bits. Leaves point at it (AuthorityKeyId), which lets
// a verifier pick the right CA when several are trusted during rotation.
func subjectKeyID(pub *ecdsa.PublicKey) ([]byte, error) {
	ecdhPub, err := pub.ECDH()
	if err != nil {
		return nil, fmt.Errorf("computing subject key ID: %w", err)
	}
	sum := sha256.Sum256(ecdhPub.Bytes())
	return sum[:20], nil
}

// utc formats a time for messages.
func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }
