// Package certs decides which of an EtcdCluster's certificates the
// operator must issue or renew; internal/pki makes them. Pure: the
// controller reads the Secrets into a Set, asks Decide, and writes what it
// says.
package certs

import (
	"maps"
	"net"
	"time"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/pki"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// Kind names one certificate of a cluster (status.tls.certificates[].name).
type Kind string

const (
	CA             Kind = "ca"
	Server         Kind = "server"
	Peer           Kind = "peer"
	OperatorClient Kind = "operator-client"
	Client         Kind = "client"
)

// Leaves are the leaf kinds, in the order they are issued; All adds the CA.
var (
	Leaves = []Kind{Server, Peer, OperatorClient, Client}
	All    = append([]Kind{CA}, Leaves...)
)

// Defaults of spec.tls.
const (
	DefaultLifetime = 90 * 24 * time.Hour
	// CALifetime: the CA outlives many leaf renewals; replacing it costs
	// one restart per member (etcd reads its trusted CAs at start only).
	CALifetime = 10 * 365 * 24 * time.Hour
)

// Set is what a cluster's Secrets hold: nil for a Secret that is missing
// or does not parse.
type Set struct {
	CA     *pki.CA
	Leaves map[Kind]*pki.Leaf
	// Bundle is the trusted CA bundle the leaf Secrets carry (ca.crt).
	Bundle map[Kind][]byte
}

// Clone copies the maps of s (the certificates themselves are not changed
// once parsed).
func (s Set) Clone() Set {
	return Set{CA: s.CA, Leaves: maps.Clone(s.Leaves), Bundle: maps.Clone(s.Bundle)}
}

// Policy is spec.tls's lifetimes, defaulted.
type Policy struct {
	Lifetime    time.Duration
	RenewBefore time.Duration
}

// PolicyOf defaults spec: renewal at two thirds of the lifetime. The
// lifetime given, not the certificate's validity (backdated for clock
// skew), sets the default, so that short test lifetimes renew sensibly.
func PolicyOf(spec etcdv1alpha1.TLSSpec) Policy {
	p := Policy{Lifetime: DefaultLifetime}
	if spec.CertificateLifetime != nil && spec.CertificateLifetime.Duration > 0 {
		p.Lifetime = spec.CertificateLifetime.Duration
	}
	p.RenewBefore = p.Lifetime / 3
	if spec.RenewBefore != nil && spec.RenewBefore.Duration > 0 && spec.RenewBefore.Duration < p.Lifetime {
		p.RenewBefore = spec.RenewBefore.Duration
	}
	return p
}

// Requests are what each leaf of names must be.
func Requests(names resources.Cluster, lifetime time.Duration) map[Kind]pki.Request {
	return map[Kind]pki.Request{
		Server: {CommonName: names.ClientServiceHost(), DNSNames: names.ServerNames(),
			IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, Usage: pki.Server, Lifetime: lifetime},
		Peer:           {CommonName: names.Name + "-peer", DNSNames: names.PeerNames(), Usage: pki.Peer, Lifetime: lifetime},
		OperatorClient: {CommonName: "etcd-operator", Usage: pki.Client, Lifetime: lifetime},
		Client:         {CommonName: names.Name + "-client", Usage: pki.Client, Lifetime: lifetime},
	}
}

// Plan is what to issue now.
type Plan struct {
	// NewCA: there is no usable CA; a new one signs every leaf.
	NewCA bool
	// Issue are the leaves to (re)issue, with why.
	Issue []Kind
	Why   map[Kind]string
	// Next is the earliest renewal among the leaves kept: when to look again.
	Next time.Time
}

// Empty says there is nothing to issue.
func (p Plan) Empty() bool { return !p.NewCA && len(p.Issue) == 0 }

// Decide says which certificates to issue at now. A leaf is reissued when
// it is missing, unfit for its request (another CA, a missing name, the
// wrong usage, expired) or due for renewal. A CA is made only when there
// is none: replacing a CA is a rotation, never an accident of a bad read.
func Decide(set Set, reqs map[Kind]pki.Request, policy Policy, now time.Time) Plan {
	plan := Plan{Why: map[Kind]string{}}
	if set.CA == nil {
		plan.NewCA = true
		for _, k := range Leaves {
			plan.Issue = append(plan.Issue, k)
			plan.Why[k] = "new CA"
		}
		return plan
	}
	for _, k := range Leaves {
		leaf := set.Leaves[k]
		if leaf == nil {
			plan.Issue, plan.Why[k] = append(plan.Issue, k), "missing"
			continue
		}
		if err := pki.Check(leaf.Cert, set.CA.CertPEM, reqs[k], now); err != nil {
			plan.Issue, plan.Why[k] = append(plan.Issue, k), pki.ReasonOf(err)
			continue
		}
		renew := pki.RenewAt(leaf.Cert, policy.RenewBefore)
		if !now.Before(renew) {
			plan.Issue, plan.Why[k] = append(plan.Issue, k), "renewal due"
			continue
		}
		if string(set.Bundle[k]) != string(set.CA.CertPEM) {
			plan.Issue, plan.Why[k] = append(plan.Issue, k), "trust bundle differs"
			continue
		}
		if plan.Next.IsZero() || renew.Before(plan.Next) {
			plan.Next = renew
		}
	}
	return plan
}
