package controller

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/apply"
	"github.com/etcd-operator/etcd-operator/internal/certs"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
	"github.com/etcd-operator/etcd-operator/internal/pki"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// Keys of the certificate Secrets: kubernetes.io/tls plus the trust bundle.
const (
	keyCA   = "ca.crt"
	keyCert = corev1.TLSCertKey
	keyKey  = corev1.TLSPrivateKeyKey
)

// secretName is where kind is kept.
func secretName(names resources.Cluster, kind certs.Kind) string {
	switch kind {
	case certs.CA:
		return names.CASecret()
	case certs.Server:
		return names.ServerSecret()
	case certs.Peer:
		return names.PeerSecret()
	case certs.OperatorClient:
		return names.OperatorClientSecret()
	}
	return names.ClientSecret()
}

// observeCertificates reads the cluster's certificate Secrets into
// p.certs (one that does not parse counts as missing) and gives the
// operator's etcd client its TLS configuration. The user's Secrets
// (provider Secrets) are checked here, before anything uses them.
func (r *EtcdClusterReconciler) observeCertificates(ctx context.Context, p *pass) error {
	if !p.names.TLS() {
		return nil
	}
	p.secrets = map[certs.Kind]*corev1.Secret{}
	read := r.readOwnSecrets
	if p.names.UserCertificates() {
		read = r.readUserSecrets
	}
	if err := read(ctx, p); err != nil || p.certFailure != nil {
		return err
	}
	key := client.ObjectKeyFromObject(p.ec)
	versions := versionsOf(p.secrets)
	if e, ok := r.certCache.lookup(key, versions); ok {
		p.certs, p.certsQuietUntil = e.set, e.quietUntil
	} else {
		p.certs = parseSecrets(p.secrets)
		r.certCache.store(key, certEntry{versions: versions, set: p.certs})
	}
	if p.certFailure = userCertificatesFailure(p); p.certFailure != nil {
		return nil
	}
	p.tlsConfig = r.clientTLS.config(key, p.names, p.certs)
	return nil
}

// userCertificatesFailure is why the user's certificates would not work,
// nil when they would or are not the user's.
func userCertificatesFailure(p *pass) *lifecycle.Failure {
	if !p.names.UserCertificates() {
		return nil
	}
	problem := certs.CheckProvided(p.certs, certs.Requests(p.names, 0), p.now)
	if problem == nil {
		return nil
	}
	return &lifecycle.Failure{Reason: etcdv1alpha1.ReasonCertificatesFailed,
		Message: fmt.Sprintf("Secret %s (tls.secrets.%s): %v", secretName(p.names, problem.Kind), problem.Kind, problem.Err)}
}

// readOwnSecrets reads the operator's Secrets from the cache. The cache
// holds only the operator's labeled Secrets: one of the same name without
// the label is someone else's, never taken over.
func (r *EtcdClusterReconciler) readOwnSecrets(ctx context.Context, p *pass) error {
	for _, kind := range certs.All {
		key := client.ObjectKey{Namespace: p.names.Namespace, Name: secretName(p.names, kind)}
		s := &corev1.Secret{}
		err := r.Client.Get(ctx, key, s)
		if apierrors.IsNotFound(err) {
			err = apply.AbsentLive(ctx, r.APIReader, p.ec, corev1.SchemeGroupVersion.WithKind("Secret"), key)
		} else if err == nil {
			err = apply.OwnedBy(p.ec, "Secret", s)
			p.secrets[kind] = s
		}
		var foreign *apply.ForeignObjectError
		if errors.As(err, &foreign) {
			p.certFailure = &lifecycle.Failure{Reason: etcdv1alpha1.ReasonForeignObject, Message: foreign.Error()}
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readUserSecrets reads the Secrets of spec.tls.secrets from the API
// server: they carry no label of the operator's, so the cache has none of
// them. Only the user changes them, so they are not watched: a fixed
// Secret is seen at the next poll.
func (r *EtcdClusterReconciler) readUserSecrets(ctx context.Context, p *pass) error {
	for _, kind := range certs.Provided {
		name := secretName(p.names, kind)
		s := &corev1.Secret{}
		err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: p.names.Namespace, Name: name}, s)
		if apierrors.IsNotFound(err) {
			p.certFailure = &lifecycle.Failure{Reason: etcdv1alpha1.ReasonCertificatesFailed,
				Message: fmt.Sprintf("Secret %s (tls.secrets.%s) not found", name, kind)}
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range []string{keyCA, keyCert, keyKey} {
			if len(s.Data[k]) == 0 {
				p.certFailure = &lifecycle.Failure{Reason: etcdv1alpha1.ReasonCertificatesFailed,
					Message: fmt.Sprintf("Secret %s (tls.secrets.%s) has no %s: it needs ca.crt, tls.crt and tls.key", name, kind, k)}
				return nil
			}
		}
		p.secrets[kind] = s
	}
	// The operator connects as applications do.
	p.secrets[certs.OperatorClient] = p.secrets[certs.Client]
	return nil
}

// parseSecrets reads the certificates of secrets; one that does not parse
// is left out, as missing.
func parseSecrets(secrets map[certs.Kind]*corev1.Secret) certs.Set {
	set := certs.Set{Leaves: map[certs.Kind]*pki.Leaf{}, Bundle: map[certs.Kind][]byte{}}
	for kind, s := range secrets {
		if kind == certs.CA {
			if ca, err := pki.ParseCA(s.Data[keyCert], s.Data[keyKey]); err == nil {
				set.CA = ca
			}
			continue
		}
		if leaf, err := pki.ParseLeaf(s.Data[keyCert], s.Data[keyKey]); err == nil {
			set.Leaves[kind], set.Bundle[kind] = leaf, s.Data[keyCA]
		}
	}
	return set
}

// certificates issues what the cluster lacks, or says why it cannot: a
// failure stops the pass before anything is applied, and members already
// running keep the certificates they have.
func (r *EtcdClusterReconciler) certificates(ctx context.Context, p *pass) (*lifecycle.Failure, error) {
	if p.certFailure != nil {
		return p.certFailure, nil
	}
	if err := r.issueCertificates(ctx, p); err != nil {
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			// A stale cache: the next pass reads what was written.
			return nil, err
		}
		return &lifecycle.Failure{Reason: etcdv1alpha1.ReasonCertificatesFailed, Message: err.Error()}, err
	}
	return nil, nil
}

// issueCertificates carries out the plan: a new CA first (create only: an
// existing one is never overwritten by a pass that read a stale cache),
// then the leaves it signs. An update carries the resourceVersion read, so
// that a stale read conflicts instead of replacing a newer certificate.
func (r *EtcdClusterReconciler) issueCertificates(ctx context.Context, p *pass) error {
	if !p.names.TLS() || p.names.UserCertificates() {
		return nil // the user's certificates are never written
	}
	if p.now.Before(p.certsQuietUntil) {
		return nil // checked at these resource versions; nothing due yet
	}
	policy := certs.PolicyOf(p.ec.Spec.TLS)
	reqs := certs.Requests(p.names, policy.Lifetime)
	plan := certs.Decide(p.certs, reqs, policy, p.now)
	key := client.ObjectKeyFromObject(p.ec)
	if plan.Empty() {
		r.certCache.store(key, certEntry{versions: versionsOf(p.secrets), set: p.certs, quietUntil: plan.Next})
		return nil
	}
	// The cached set is shared: what is issued goes into a copy.
	p.certs = p.certs.Clone()
	log := logf.FromContext(ctx)
	if plan.NewCA {
		ca, err := pki.NewCA(p.ec.Namespace+"/"+p.ec.Name+" etcd CA", certs.CALifetime, p.now)
		if err != nil {
			return err
		}
		data := map[string][]byte{keyCert: ca.CertPEM, keyKey: ca.KeyPEM}
		if err := r.writeSecret(ctx, p, certs.CA, data); err != nil {
			return err
		}
		p.certs.CA = ca
		log.Info("issued a CA", "secret", p.names.CASecret(), "notAfter", ca.Cert.NotAfter)
	}
	for _, kind := range plan.Issue {
		leaf, err := p.certs.CA.Issue(reqs[kind], p.now)
		if err != nil {
			return err
		}
		data := map[string][]byte{keyCA: p.certs.CA.CertPEM, keyCert: leaf.CertPEM, keyKey: leaf.KeyPEM}
		if err := r.writeSecret(ctx, p, kind, data); err != nil {
			return err
		}
		p.certs.Leaves[kind], p.certs.Bundle[kind] = leaf, p.certs.CA.CertPEM
		log.Info("issued a certificate", "certificate", string(kind), "why", plan.Why[kind], "secret", secretName(p.names, kind), "notAfter", leaf.Cert.NotAfter)
	}
	p.tlsConfig = r.clientTLS.config(key, p.names, p.certs)
	return nil
}

// writeSecret creates kind's Secret, or updates the one read this pass.
func (r *EtcdClusterReconciler) writeSecret(ctx context.Context, p *pass, kind certs.Kind, data map[string][]byte) error {
	if s, ok := p.secrets[kind]; ok {
		if kind == certs.CA {
			return fmt.Errorf("secret %s holds no usable CA: the operator does not replace a CA; delete the Secret to have a new one issued (every member then restarts)", s.Name)
		}
		s = s.DeepCopy()
		s.Data = data
		return r.Client.Update(ctx, s)
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secretName(p.names, kind), Namespace: p.names.Namespace, Labels: p.names.ManagedLabels()},
		Type:       corev1.SecretTypeTLS,
		Data:       data,
	}
	if err := controllerutil.SetControllerReference(p.ec, s, r.Scheme); err != nil {
		return err
	}
	return r.Client.Create(ctx, s)
}

// tlsStatus is status.tls: the provider, the client Secret and each
// certificate's expiry.
func tlsStatus(p *pass) *etcdv1alpha1.TLSStatus {
	st := &etcdv1alpha1.TLSStatus{Provider: resources.TLSProviderOf(p.ec)}
	if !p.names.TLS() {
		return st
	}
	st.ClientSecretName = p.names.ClientSecret()
	policy := certs.PolicyOf(p.ec.Spec.TLS)
	if ca := p.certs.CA; ca != nil {
		st.Certificates = append(st.Certificates, etcdv1alpha1.CertificateStatus{
			Name: string(certs.CA), SecretName: p.names.CASecret(), NotAfter: metav1.NewTime(ca.Cert.NotAfter)})
	}
	for _, kind := range certs.Leaves {
		leaf := p.certs.Leaves[kind]
		if leaf == nil || (kind == certs.OperatorClient && p.names.UserCertificates()) {
			continue
		}
		cs := etcdv1alpha1.CertificateStatus{Name: string(kind), SecretName: secretName(p.names, kind), NotAfter: metav1.NewTime(leaf.Cert.NotAfter)}
		if !p.names.UserCertificates() {
			// The user's certificates are renewed by their owner.
			cs.RenewAt = new(metav1.NewTime(pki.RenewAt(leaf.Cert, policy.RenewBefore)))
		}
		st.Certificates = append(st.Certificates, cs)
	}
	return st
}
