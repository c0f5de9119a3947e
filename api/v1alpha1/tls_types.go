package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// TLSProvider says where a cluster's certificates come from.
// +kubebuilder:validation:Enum=Operator;Secrets;Disabled
type TLSProvider string

const (
	// TLSOperator: the operator keeps a CA per EtcdCluster in a Secret and
	// issues and renews every certificate with it.
	TLSOperator TLSProvider = "Operator"
	// TLSSecrets: the user's own PKI: Secrets named in tls.secrets, checked
	// before use and never written by the operator.
	TLSSecrets TLSProvider = "Secrets"
	// TLSDisabled: members serve plain HTTP and accept any client. An
	// explicit choice, for tests and networks that are already trusted.
	TLSDisabled TLSProvider = "Disabled"
)

// TLSSpec secures the members' client and peer traffic: mutual TLS, members
// accept only clients with a certificate of the cluster's CA.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.provider) || !has(self.provider) || self.provider == oldSelf.provider",message="tls.provider cannot change on an existing cluster: the members would have to move between http and https; create a new EtcdCluster with the provider you want and move the data with a snapshot"
// +kubebuilder:validation:XValidation:rule="!has(self.provider) || self.provider != 'Secrets' || has(self.secrets)",message="tls.provider Secrets needs tls.secrets: the server, peer and client Secrets to use"
// +kubebuilder:validation:XValidation:rule="!has(self.secrets) || (has(self.provider) && self.provider == 'Secrets')",message="tls.secrets is only used with tls.provider Secrets"
// +kubebuilder:validation:XValidation:rule="!has(self.certificateLifetime) || !has(self.renewBefore) || duration(self.renewBefore) < duration(self.certificateLifetime)",message="tls.renewBefore must be shorter than tls.certificateLifetime"
type TLSSpec struct {
	// Provider of the certificates: Operator (the default: a CA per
	// EtcdCluster, server, peer and client certificates issued and renewed
	// by the operator), Secrets (your own, named in tls.secrets) or
	// Disabled (plain HTTP, any client accepted).
	// +kubebuilder:default=Operator
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="TLS Provider",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:select:Operator","urn:alm:descriptor:com.tectonic.ui:select:Secrets","urn:alm:descriptor:com.tectonic.ui:select:Disabled"}
	Provider TLSProvider `json:"provider,omitempty"`

	// Secrets are the certificates to use with provider Secrets.
	// +optional
	Secrets *TLSSecretRefs `json:"secrets,omitempty"`

	// CertificateLifetime of the server, peer and client certificates
	// (default 2160h, 90 days; at least 2m). Members pick renewed
	// certificates up without a restart.
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('2m') && duration(self) <= duration('87600h')",message="tls.certificateLifetime must be from 2m to 87600h (10 years)"
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Certificate Lifetime",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text","urn:alm:descriptor:com.tectonic.ui:advanced"}
	CertificateLifetime *metav1.Duration `json:"certificateLifetime,omitempty"`

	// RenewBefore is how long before expiry a certificate is renewed
	// (default: a third of its lifetime, so it is renewed at two thirds).
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Renew Before",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text","urn:alm:descriptor:com.tectonic.ui:advanced"}
	RenewBefore *metav1.Duration `json:"renewBefore,omitempty"`
}

// TLSSecretRefs names Secrets in the cluster's namespace, each with
// tls.crt, tls.key and ca.crt (the kubernetes.io/tls layout cert-manager
// and most PKIs write). The operator checks them before any member uses
// them and reports what is wrong; renewing them is up to their owner, and
// members pick renewed leaves up without a restart.
type TLSSecretRefs struct {
	// Server is what members serve clients with. Its certificate must be
	// valid for serverAuth and clientAuth and name the client Service
	// (<name>-client, with its namespace forms), the members
	// (*.<name>-peer.<namespace>.svc and the same with the cluster domain),
	// localhost, 127.0.0.1 and ::1, and chain to the client Secret's
	// ca.crt; its ca.crt is what members trust clients by.
	// +kubebuilder:validation:MinLength=1
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Server Secret",xDescriptors={"urn:alm:descriptor:io.kubernetes:Secret"}
	Server string `json:"server"`
	// Peer is what members authenticate each other with: serverAuth and
	// clientAuth and *.<name>-peer.<namespace>.svc.<domain>, chained to its
	// own ca.crt.
	// +kubebuilder:validation:MinLength=1
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Peer Secret",xDescriptors={"urn:alm:descriptor:io.kubernetes:Secret"}
	Peer string `json:"peer"`
	// Client is the client certificate the operator connects with
	// (clientAuth, chained to the server Secret's ca.crt); its ca.crt is
	// what the operator trusts members by.
	// +kubebuilder:validation:MinLength=1
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Client Secret",xDescriptors={"urn:alm:descriptor:io.kubernetes:Secret"}
	Client string `json:"client"`
}

// TLSStatus says how the cluster is secured and where clients find their
// certificate. Keys are never in status.
type TLSStatus struct {
	// Provider the members were started with. It decides the scheme of a
	// formed cluster, whatever the spec says later.
	// +optional
	Provider TLSProvider `json:"provider,omitempty"`

	// ClientSecretName is the Secret (ca.crt, tls.crt, tls.key) that
	// applications mount to connect.
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Client Secret",xDescriptors={"urn:alm:descriptor:io.kubernetes:Secret"}
	ClientSecretName string `json:"clientSecretName,omitempty"`

	// Certificates are the cluster's certificates and when they expire.
	// +listType=map
	// +listMapKey=name
	// +optional
	Certificates []CertificateStatus `json:"certificates,omitempty"`
}

// CertificateStatus is one certificate of the cluster.
type CertificateStatus struct {
	// Name is ca, server, peer, operator-client or client.
	Name string `json:"name"`
	// SecretName is the Secret that holds it.
	SecretName string `json:"secretName"`
	// NotAfter is when it expires.
	NotAfter metav1.Time `json:"notAfter"`
	// RenewAt is when the operator renews it.
	// +optional
	RenewAt *metav1.Time `json:"renewAt,omitempty"`
}
