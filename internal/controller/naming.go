package controller

import (
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"

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

// MemberPod is a member pod the operator may talk to; IP is "" while the
// pod does not exist or has no address yet.
type MemberPod struct {
	Name string
	IP   string
}

// memberPod describes the pod called name among pods.
func memberPod(name string, pods map[string]*corev1.Pod) MemberPod {
	m := MemberPod{Name: name}
	if p, ok := pods[name]; ok {
		m.IP = p.Status.PodIP
	}
	return m
}

// PodIPEndpoints returns the client URLs of member pods at their pod IPs.
// The operator talks to each member, not to the load-balanced Service, so
// that each status call reaches the member it names; and not through
// per-pod DNS, whose names do not resolve until the pod has an address and
// whose negative answers are then cached for seconds. Pods without an
// address are left out: there is nothing to dial yet.
func PodIPEndpoints(_ *etcdv1alpha1.EtcdCluster, pods []MemberPod) []string {
	eps := make([]string, 0, len(pods))
	for _, p := range pods {
		if p.IP != "" {
			eps = append(eps, "http://"+net.JoinHostPort(p.IP, "2379"))
		}
	}
	return eps
}

// clientEndpoint is the URL applications use.
func clientEndpoint(ec *etcdv1alpha1.EtcdCluster, clusterDomain string) string {
	return fmt.Sprintf("http://%s.%s.svc.%s:2379", clientServiceName(ec), ec.Namespace, clusterDomain)
}
