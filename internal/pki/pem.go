package pki

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

const (
	certBlock = "CERTIFICATE"
	keyBlock  = "PRIVATE KEY"
)

func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: certBlock, Bytes: der})
}

// encodeKey writes key as PKCS#8, whatever format it was read from, so a
// key round-trips to the same bytes.
func encodeKey(key any) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: keyBlock, Bytes: der}), nil
}

// certDERs are the CERTIFICATE blocks of data, in order; other blocks are
// skipped.
func certDERs(data []byte) [][]byte {
	var ders [][]byte
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return ders
		}
		if block.Type == certBlock {
			ders = append(ders, block.Bytes)
		}
	}
}

// parseCert reads the first certificate of data; any chain after it is
// ignored.
func parseCert(data []byte) (*x509.Certificate, error) {
	ders := certDERs(data)
	if len(ders) == 0 {
		return nil, errors.New("no CERTIFICATE PEM block")
	}
	cert, err := x509.ParseCertificate(ders[0])
	if err != nil {
		return nil, fmt.Errorf("parsing certificate: %w", err)
	}
	return cert, nil
}

// parseKey reads the first private key of data: PKCS#8, SEC 1 (EC) or
// PKCS#1 (RSA). Other blocks, such as the "EC PARAMETERS" openssl writes
// before an EC key, are skipped.
func parseKey(data []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no private key PEM block")
		}
		var key any
		var err error
		switch block.Type {
		case keyBlock:
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("encrypted private keys are not supported")
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("parsing %s block: %w", block.Type, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("a %T cannot sign", key)
		}
		return signer, nil
	}
}

// matchKey fails unless key is the private half of cert's public key.
func matchKey(cert *x509.Certificate, key crypto.Signer) error {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return errors.New("private key does not match the certificate")
	}
	return nil
}

// Bundle concatenates PEM certificates, skipping duplicates (same DER), for
// a trust bundle: during CA rotation it holds the old and the new CA. Blocks
// that are not certificates (a key pasted by mistake, junk) are dropped, so
// a bundle never carries a key.
func Bundle(certPEMs ...[]byte) []byte {
	var out []byte
	seen := map[string]bool{}
	for _, data := range certPEMs {
		for _, der := range certDERs(data) {
			if seen[string(der)] {
				continue
			}
			if _, err := x509.ParseCertificate(der); err != nil {
				continue
			}
			seen[string(der)] = true
			out = append(out, encodeCert(der)...)
		}
	}
	return out
}
