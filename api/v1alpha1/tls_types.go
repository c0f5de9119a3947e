package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// TLSProvider says where a cluster's certificates come from.
// +kubebuilder:validation:Enum=Operator;Disabled
type TLSProvider string

const (
	// TLSOperator: the operator keeps a CA per EtcdCluster in a Secret and
	// issues and renews every certificate with it.
	TLSOperator TLSProvider = "Operator"
	// TLSDisabled: members serve plain HTTP and accept any client. An
	// explicit choice, for tests and networks that are already trusted.
	TLSDisabled TLSProvider = "Disabled"
)

// TLSSpec secures the members' client and peer traffic: mutual TLS, members
// accept only clients with a certificate of the cluster's CA.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.provider) || !has(self.provider) || self.provider == oldSelf.provider",message="tls.provider cannot change on an existing cluster: the members would have to move between http and https; create a new EtcdCluster with the provider you want and move the data with a snapshot"
// +kubebuilder:validation:XValidation:rule="!has(self.certificateLifetime) || !has(self.renewBefore) || duration(self.renewBefore) < duration(self.certificateLifetime)",message="tls.renewBefore must be shorter than tls.certificateLifetime"
type TLSSpec struct {
	// Provider of the certificates: Operator (the default: a CA per
	// EtcdCluster, server, peer and client certificates issued and renewed
	// by the operator) or Disabled (plain HTTP, any client accepted).
	// +kubebuilder:default=Operator
	// +optional
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="TLS Provider",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:select:Operator","urn:alm:descriptor:com.tectonic.ui:select:Disabled"}
	Provider TLSProvider `json:"provider,omitempty"`

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
