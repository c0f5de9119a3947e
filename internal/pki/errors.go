package pki

import (
	"errors"
	"fmt"
)

// Reasons a certificate is unfit, in the CamelCase a Kubernetes condition
// reason wants.
const (
	// ReasonExpired: now is past the certificate's NotAfter.
	ReasonExpired = "Expired"
	// ReasonNotYetValid: now is before the certificate's NotBefore.
	ReasonNotYetValid = "NotYetValid"
	// ReasonUntrustedIssuer: the certificate does not chain to a trusted CA.
	ReasonUntrustedIssuer = "UntrustedIssuer"
	// ReasonMissingSAN: a requested DNS name or IP is not in the certificate.
	ReasonMissingSAN = "MissingSAN"
	// ReasonWrongUsage: the certificate lacks a required extended key usage.
	ReasonWrongUsage = "WrongUsage"
	// ReasonWrongSubject: the certificate's CommonName is not the requested
	// one (etcd takes a client's user name from it).
	ReasonWrongSubject = "WrongSubject"
	// ReasonMalformed: the PEM, certificate or key cannot be used at all.
	ReasonMalformed = "Malformed"
)

// Error says why a certificate or key is unfit. Reason is one of the
// Reason constants.
type Error struct {
	Reason string
	msg    string
	err    error
}

func (e *Error) Error() string {
	if e.err == nil {
		return e.msg
	}
	return e.msg + ": " + e.err.Error()
}

func (e *Error) Unwrap() error { return e.err }

func newError(reason, format string, args ...any) *Error {
	return &Error{Reason: reason, msg: fmt.Sprintf(format, args...)}
}

func wrapError(reason string, err error, format string, args ...any) *Error {
	return &Error{Reason: reason, msg: fmt.Sprintf(format, args...), err: err}
}

// ReasonOf is the Reason of err, for a Kubernetes condition: "" when err is
// nil or did not come from Check, ParseCA or ParseLeaf.
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
