package controller

import (
	"fmt"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// Names the chart gives a cluster's objects; the chart's _helpers.tpl is
// the source, these must agree with it.

func peerServiceName(ec *etcdv1alpha1.EtcdCluster) string   { return ec.Name + "-peer" }
func clientServiceName(ec *etcdv1alpha1.EtcdCluster) string { return ec.Name + "-client" }

// podHost is a member pod's stable DNS name behind the peer Service.
func podHost(ec *etcdv1alpha1.EtcdCluster, pod, clusterDomain string) string {
	return fmt.Sprintf("%s.%s.%s.svc.%s", pod, peerServiceName(ec), ec.Namespace, clusterDomain)
}

// DNSEndpoints returns the client URLs of member pods through per-pod DNS:
// the operator talks to members, not to the load-balanced Service, so that
// each status call reaches the member it names.
func DNSEndpoints(clusterDomain string) func(*etcdv1alpha1.EtcdCluster, []string) []string {
	return func(ec *etcdv1alpha1.EtcdCluster, pods []string) []string {
		eps := make([]string, 0, len(pods))
		for _, pod := range pods {
			eps = append(eps, fmt.Sprintf("http://%s:2379", podHost(ec, pod, clusterDomain)))
		}
		return eps
	}
}

// clientEndpoint is the URL applications use.
func clientEndpoint(ec *etcdv1alpha1.EtcdCluster, clusterDomain string) string {
	return fmt.Sprintf("http://%s.%s.svc.%s:2379", clientServiceName(ec), ec.Namespace, clusterDomain)
}
