package resources

// Network says where the operator reaches a cluster's members. In a
// Kubernetes cluster it is PodNetwork; tests that run members elsewhere
// (embedded etcd servers on loopback) give their own.
type Network interface {
	// ClientURL is where the operator dials the etcd of the member pod
	// called pod at the pod IP ip ("" while the pod has no address);
	// "" when there is nothing to dial.
	ClientURL(c Cluster, pod, ip string) string
	// PeerURL is the peer URL the member of pod advertises.
	PeerURL(c Cluster, pod string) string
}

// PodNetwork reaches members at their pod IPs. The operator talks to each
// member, not to the load-balanced Service, so that each status call
// reaches the member it names; and not through per-pod DNS, whose names do
// not resolve until the pod has an address and whose negative answers are
// then cached for seconds.
type PodNetwork struct{}

// ClientURL is the member's client URL at its pod IP.
func (PodNetwork) ClientURL(c Cluster, _ string, ip string) string {
	if ip == "" {
		return ""
	}
	return c.PodClientURL(ip)
}

// PeerURL is the chart's per-pod DNS name.
func (PodNetwork) PeerURL(c Cluster, pod string) string { return c.PeerURL(pod) }
