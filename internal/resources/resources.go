// Package resources is the one home of how an EtcdCluster's members are
// named and reached: the names of the objects the etcd-cluster chart
// renders, pod ordinals, selector labels, ports, and the member URLs built
// from a scheme. The chart's _helpers.tpl must agree with it, which a test
// renders the chart to check; every Go caller uses it instead of spelling
// a name or URL itself. TLS changes the scheme here, and only here.
package resources

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// Ports the chart's etcd container listens on.
const (
	ClientPort  = 2379
	PeerPort    = 2380
	MetricsPort = 2381
)

// ManagedBy is the app.kubernetes.io/managed-by value of every object the
// operator renders (Helm's .Release.Service, as the renderer sets it).
const ManagedBy = "etcd-operator"

// Label keys the chart sets on every object.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelManagedBy = "app.kubernetes.io/managed-by"
)

// EtcdContainer is the chart's name for the etcd container.
const EtcdContainer = "etcd"

// claimPrefix is the StatefulSet's volumeClaimTemplate name: a member's
// claim is data-<pod>.
const claimPrefix = "data-"

// DefaultClusterDomain is Kubernetes' default DNS domain.
const DefaultClusterDomain = "cluster.local"

// Cluster names the objects and addresses of one EtcdCluster.
type Cluster struct {
	// Name and Namespace are the EtcdCluster's.
	Name, Namespace string
	// Domain is the Kubernetes DNS domain (cluster.local).
	Domain string
	// Scheme is the URL scheme of client and peer URLs: https with TLS.
	Scheme string
	// Provided are the user's certificate Secrets (provider Secrets);
	// empty when the operator issues them.
	Provided ProvidedSecrets
}

// ProvidedSecrets name the Secrets of spec.tls.secrets.
type ProvidedSecrets struct{ Server, Peer, Client string }

// For names ec's objects in DNS domain domain ("" is cluster.local).
func For(ec *etcdv1alpha1.EtcdCluster, domain string) Cluster {
	if domain == "" {
		domain = DefaultClusterDomain
	}
	scheme := "http"
	if TLSProviderOf(ec) != etcdv1alpha1.TLSDisabled {
		scheme = "https"
	}
	c := Cluster{Name: ec.Name, Namespace: ec.Namespace, Domain: domain, Scheme: scheme}
	if TLSProviderOf(ec) == etcdv1alpha1.TLSSecrets && ec.Spec.TLS.Secrets != nil {
		s := ec.Spec.TLS.Secrets
		c.Provided = ProvidedSecrets{Server: s.Server, Peer: s.Peer, Client: s.Client}
	}
	return c
}

// TLSProviderOf is the TLS provider ec's members run with: the one status
// records once the cluster has formed (a spec change does not move running
// members between http and https), Disabled for a cluster formed before
// the operator recorded one, and the spec's until then.
func TLSProviderOf(ec *etcdv1alpha1.EtcdCluster) etcdv1alpha1.TLSProvider {
	switch {
	case ec.Status.TLS != nil && ec.Status.TLS.Provider != "":
		return ec.Status.TLS.Provider
	case ec.Status.ClusterID != "":
		return etcdv1alpha1.TLSDisabled
	case ec.Spec.TLS.Provider == "":
		return etcdv1alpha1.TLSOperator
	}
	return ec.Spec.TLS.Provider
}

// TLS says whether the members serve https.
func (c Cluster) TLS() bool { return c.Scheme == "https" }

// UserCertificates says the certificates are the user's (provider
// Secrets): read and checked, never written.
func (c Cluster) UserCertificates() bool { return c.Provided != ProvidedSecrets{} }

// Secrets of the cluster's certificates: those the operator issues, or
// the user's. With the user's, the operator connects with the client
// Secret that applications use too.
func (c Cluster) CASecret() string { return c.Name + "-ca" }
func (c Cluster) ServerSecret() string {
	return or(c.Provided.Server, c.Name+"-server-tls")
}
func (c Cluster) PeerSecret() string { return or(c.Provided.Peer, c.Name+"-peer-tls") }
func (c Cluster) OperatorClientSecret() string {
	return or(c.Provided.Client, c.Name+"-operator-client-tls")
}
func (c Cluster) ClientSecret() string { return or(c.Provided.Client, c.Name+"-client-tls") }

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ClientServiceHost is the client Service's fully qualified name: the name
// the operator checks a member's server certificate against.
func (c Cluster) ClientServiceHost() string {
	return fmt.Sprintf("%s.%s.svc.%s", c.ClientService(), c.Namespace, c.Domain)
}

// ServerNames are the DNS names a member's server certificate covers:
// every member by its peer-Service name and the client Service by all
// the names a pod resolves it with.
func (c Cluster) ServerNames() []string {
	svc := c.ClientService()
	return []string{
		"*." + c.PeerService() + "." + c.Namespace + ".svc." + c.Domain,
		"*." + c.PeerService() + "." + c.Namespace + ".svc",
		svc, svc + "." + c.Namespace, svc + "." + c.Namespace + ".svc", c.ClientServiceHost(),
		"localhost",
	}
}

// PeerNames are the DNS names of a member's peer certificate: etcd checks
// a connecting peer against the reverse DNS of its address, which is its
// name behind the peer Service.
func (c Cluster) PeerNames() []string {
	return []string{"*." + c.PeerService() + "." + c.Namespace + ".svc." + c.Domain}
}

// StatefulSet is the name of the StatefulSet of the members.
func (c Cluster) StatefulSet() string { return c.Name }

// PeerService is the headless Service that gives each pod its DNS name.
func (c Cluster) PeerService() string { return c.Name + "-peer" }

// ClientService is the Service applications connect to.
func (c Cluster) ClientService() string { return c.Name + "-client" }

// ConfigMap holds the members' configuration.
func (c Cluster) ConfigMap() string { return c.Name + "-config" }

// Pod is the name of the member pod of ordinal.
func (c Cluster) Pod(ordinal int32) string { return c.Name + "-" + strconv.Itoa(int(ordinal)) }

// Ordinal is the StatefulSet ordinal of the pod called pod, or -1 when pod
// is not one of this cluster's pods.
func (c Cluster) Ordinal(pod string) int32 { return Ordinal(c.Name, pod) }

// Ordinal is the ordinal of cluster's pod called pod, -1 if it is none.
func Ordinal(cluster, pod string) int32 {
	rest, ok := strings.CutPrefix(pod, cluster+"-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(rest, 10, 32)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != rest {
		return -1
	}
	return int32(n)
}

// Claim is the name of the PersistentVolumeClaim of pod.
func (c Cluster) Claim(pod string) string { return claimPrefix + pod }

// PodOfClaim is the pod that claim serves; false for another claim.
func (c Cluster) PodOfClaim(claim string) (string, bool) {
	pod, ok := strings.CutPrefix(claim, claimPrefix)
	if !ok || c.Ordinal(pod) < 0 {
		return "", false
	}
	return pod, true
}

// SelectorLabels select the cluster's pods (the StatefulSet's selector);
// the chart's etcd-cluster.selectorLabels. Immutable.
func (c Cluster) SelectorLabels() map[string]string {
	return map[string]string{LabelName: "etcd", LabelInstance: c.Name}
}

// ManagedLabels select what the operator rendered for the cluster: the
// selector labels and managed-by. A Helm release of the same chart and
// instance name carries managed-by=Helm and is never selected.
func (c Cluster) ManagedLabels() map[string]string {
	l := c.SelectorLabels()
	l[LabelManagedBy] = ManagedBy
	return l
}

// PodHost is a member pod's stable DNS name behind the peer Service.
func (c Cluster) PodHost(pod string) string {
	return fmt.Sprintf("%s.%s.%s.svc.%s", pod, c.PeerService(), c.Namespace, c.Domain)
}

// PeerURL is the peer URL the member of pod advertises.
func (c Cluster) PeerURL(pod string) string { return c.url(c.PodHost(pod), PeerPort) }

// AdvertisedClientURL is the client URL the member of pod advertises.
func (c Cluster) AdvertisedClientURL(pod string) string { return c.url(c.PodHost(pod), ClientPort) }

// ClientURL is the URL applications use: the client Service.
func (c Cluster) ClientURL() string { return c.url(c.ClientServiceHost(), ClientPort) }

// PodClientURL is the client URL of a member at the pod IP ip.
func (c Cluster) PodClientURL(ip string) string { return c.url(ip, ClientPort) }

func (c Cluster) url(host string, port int) string {
	return c.Scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port))
}
