package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// VerifyServer checks the certificate a server presented in cs: it chains
// to roots and is valid for serverName. For clients that dial members at
// IP addresses no certificate names (clientv3 verifies against the host
// it dials, whatever tls.Config.ServerName says): they skip Go's own check
// and call this from tls.Config.VerifyConnection.
func VerifyServer(cs tls.ConnectionState, roots *x509.CertPool, serverName string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		DNSName: serverName, Roots: roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}
