package pki

import (
	"crypto/x509"
	"time"
)

// RenewAt is when a certificate valid from NotBefore to NotAfter should be
// renewed: NotAfter - renewBefore, where renewBefore <= 0 means one third
// of the lifetime (renew at two thirds, leaving room for a failed attempt
// or two). Never before NotBefore. A nil certificate is due now: the zero
// time.
func RenewAt(cert *x509.Certificate, renewBefore time.Duration) time.Time {
	if cert == nil {
		return time.Time{}
	}
	if renewBefore <= 0 {
		renewBefore = cert.NotAfter.Sub(cert.NotBefore) / 3
	}
	at := cert.NotAfter.Add(-renewBefore)
	if at.Before(cert.NotBefore) {
		return cert.NotBefore
	}
	return at
}
