package certs

import (
	"fmt"
	"time"

	"github.com/etcd-operator/etcd-operator/internal/pki"
)

// Provided are the kinds a user brings (provider Secrets): the operator
// connects with the client certificate applications use.
var Provided = []Kind{Server, Peer, Client}

// ProvidedProblem is what is wrong with one of the user's Secrets.
type ProvidedProblem struct {
	Kind Kind
	Err  error
}

func (p *ProvidedProblem) Error() string { return fmt.Sprintf("%s certificate: %v", p.Kind, p.Err) }

// CheckProvided says the first thing that keeps the user's certificates
// in set from working together at now, nil when they do. Each leaf is
// checked against the bundle of the side that verifies it: the server's
// against the client Secret's ca.crt (what the operator and applications
// trust members by), the client's against the server Secret's ca.crt
// (what members trust clients by), the peer's against its own. Subjects
// are the user's to choose; names, usages and validity are not.
func CheckProvided(set Set, reqs map[Kind]pki.Request, now time.Time) *ProvidedProblem {
	verifier := map[Kind]Kind{Server: Client, Client: Server, Peer: Peer}
	for _, k := range Provided {
		leaf := set.Leaves[k]
		if leaf == nil {
			return &ProvidedProblem{Kind: k, Err: fmt.Errorf("missing, or tls.crt and tls.key do not parse as a matching certificate and key")}
		}
		req := reqs[k]
		req.CommonName = ""
		if err := pki.Check(leaf.Cert, set.Bundle[verifier[k]], req, now); err != nil {
			return &ProvidedProblem{Kind: k, Err: err}
		}
	}
	return nil
}
