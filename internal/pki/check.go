package pki

import (
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"time"
)

// Check returns nil when leaf is fit for req at now given the trusted roots
// (a PEM bundle, which may hold several CAs during CA rotation). Otherwise
// it returns an *Error saying the first thing wrong, in this order:
// validity period, chain to a root, extended key usage (checked as
// crypto/tls would), CommonName (when req has one), DNS names and IPs.
//
// A wildcard requested ("*.peer.ns.svc.cluster.local") is covered only by
// the same wildcard; a concrete name requested is covered by itself or by a
// wildcard standing for its first label. Names compare case-insensitively.
func Check(leaf *x509.Certificate, rootsPEM []byte, req Request, now time.Time) error {
	if leaf == nil {
		return newError(ReasonMalformed, "no certificate")
	}
	ekus, err := req.Usage.extKeyUsages()
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootsPEM) {
		return newError(ReasonMalformed, "no trusted CA certificate in the bundle")
	}
	if now.Before(leaf.NotBefore) {
		return newError(ReasonNotYetValid, "certificate not valid until %s", utc(leaf.NotBefore))
	}
	if now.After(leaf.NotAfter) {
		return newError(ReasonExpired, "certificate expired at %s", utc(leaf.NotAfter))
	}
	// One Verify per usage: Verify accepts a chain good for any of the
	// listed usages, and a server certificate needs both.
	for _, eku := range ekus {
		opts := x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{eku}}
		if _, err := leaf.Verify(opts); err != nil {
			return chainError(err, eku)
		}
	}
	return checkNames(leaf, req)
}

// chainError sorts what x509 Verify said into a Reason.
func chainError(err error, eku x509.ExtKeyUsage) error {
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return wrapError(ReasonUntrustedIssuer, err, "not signed by the trusted CA")
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		switch invalid.Reason {
		case x509.IncompatibleUsage, x509.CANotAuthorizedForExtKeyUsage:
			return wrapError(ReasonWrongUsage, err, "no %s usage", ekuName(eku))
		case x509.Expired:
			return wrapError(ReasonExpired, err, "certificate chain expired or not yet valid")
		}
	}
	var critical x509.UnhandledCriticalExtension
	if errors.As(err, &critical) {
		return wrapError(ReasonMalformed, err, "certificate")
	}
	return wrapError(ReasonUntrustedIssuer, err, "not signed by the trusted CA")
}

func ekuName(eku x509.ExtKeyUsage) string {
	switch eku {
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	}
	return "requested"
}

func checkNames(leaf *x509.Certificate, req Request) error {
	if req.CommonName != "" && leaf.Subject.CommonName != req.CommonName {
		return newError(ReasonWrongSubject, "common name is %q, want %q", leaf.Subject.CommonName, req.CommonName)
	}
	for _, name := range req.DNSNames {
		if !coversDNS(leaf.DNSNames, name) {
			return newError(ReasonMissingSAN, "missing DNS name %s", name)
		}
	}
	for _, ip := range req.IPs {
		if !hasIP(leaf.IPAddresses, ip) {
			return newError(ReasonMissingSAN, "missing IP %s", ip)
		}
	}
	return nil
}

func coversDNS(have []string, want string) bool {
	want = normalDNS(want)
	for _, h := range have {
		h = normalDNS(h)
		if h == want || wildcardCovers(h, want) {
			return true
		}
	}
	return false
}

// wildcardCovers reports whether pattern "*.zone" covers the concrete name
// "label.zone": a wildcard stands for exactly one whole label (RFC 6125),
// and never for another wildcard.
func wildcardCovers(pattern, name string) bool {
	zone, ok := strings.CutPrefix(pattern, "*.")
	if !ok || zone == "" || strings.Contains(name, "*") {
		return false
	}
	label, rest, ok := strings.Cut(name, ".")
	return ok && label != "" && rest == zone
}

func normalDNS(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

func hasIP(have []net.IP, want net.IP) bool {
	for _, h := range have {
		if h.Equal(want) {
			return true
		}
	}
	return false
}
