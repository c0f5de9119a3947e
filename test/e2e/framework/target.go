//go:build e2e || olm

package framework

import (
	"context"
	"net/url"
	"sort"
	"strings"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// Target is an etcd cluster run by a StatefulSet of the etcd-cluster
// chart, whether the operator or helm created it: its pods, claims and
// Services are named as internal/resources names them.
type Target struct {
	Namespace string
	Instance  string
	Size      int
	// TLS: the members serve https and want a client certificate.
	TLS bool
	// ClientSecret is the Secret clients connect with: the user's
	// (provider Secrets), or "" for the one the operator issues.
	ClientSecret string
}

// TargetOf is the etcd cluster an EtcdCluster runs.
func TargetOf(ec *etcdv1alpha1.EtcdCluster) Target {
	names := resources.For(ec, "")
	t := Target{Namespace: ec.Namespace, Instance: ec.Name, Size: int(ec.Spec.Size), TLS: names.TLS()}
	if names.UserCertificates() {
		t.ClientSecret = names.ClientSecret()
	}
	return t
}

// Resources names t's objects as the operator does.
func (t Target) Resources() resources.Cluster {
	ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: t.Instance}}
	ec.Spec.TLS.Provider = etcdv1alpha1.TLSDisabled
	if t.TLS {
		ec.Spec.TLS.Provider = etcdv1alpha1.TLSOperator
	}
	return resources.For(ec, "")
}

// PodLabels select t's pods and claims.
func (t Target) PodLabels() client.MatchingLabels {
	return client.MatchingLabels(t.Resources().SelectorLabels())
}

// PodName is the name of t's pod of ordinal.
func (t Target) PodName(ordinal int) string { return t.Resources().Pod(int32(ordinal)) }

// Claim is the name of the claim of t's pod.
func (t Target) Claim(pod string) string { return t.Resources().Claim(pod) }

// Pods are all of t's pods, those being deleted too, by name.
func (f *Framework) Pods(ctx context.Context, t Target) ([]corev1.Pod, error) {
	list := &corev1.PodList{}
	if err := f.K8s.List(ctx, list, client.InNamespace(t.Namespace), t.PodLabels()); err != nil {
		return nil, err
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items, nil
}

// LivePods are t's pods that are not being deleted, by name.
func (f *Framework) LivePods(ctx context.Context, t Target) ([]corev1.Pod, error) {
	all, err := f.Pods(ctx, t)
	if err != nil {
		return nil, err
	}
	var pods []corev1.Pod
	for _, p := range all {
		if p.DeletionTimestamp.IsZero() {
			pods = append(pods, p)
		}
	}
	return pods, nil
}

// PodReady is true for a pod that is not being deleted and is Ready.
func PodReady(p corev1.Pod) bool {
	if !p.DeletionTimestamp.IsZero() {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// MemberName is the member's name, or for a member that never started
// the pod of t its peer URL names (resources' PeerURL of that pod), or
// else its ID.
func (t Target) MemberName(m *pb.Member) string {
	if m.Name != "" {
		return m.Name
	}
	r := t.Resources()
	for _, u := range m.PeerURLs {
		p, err := url.Parse(u)
		if err != nil {
			continue
		}
		if pod, _, _ := strings.Cut(p.Hostname(), "."); r.Ordinal(pod) >= 0 {
			return pod
		}
	}
	return etcdstate.HexID(m.ID)
}
