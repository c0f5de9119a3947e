package controller

import (
	"context"
	"crypto/tls"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/certs"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
	"github.com/etcd-operator/etcd-operator/internal/membership"
	"github.com/etcd-operator/etcd-operator/internal/resources"
	"github.com/etcd-operator/etcd-operator/internal/upgrade"
)

// pass is what one reconcile read of a cluster: the observe phase fills it
// once; decide and report only read it, act adds the certificates it
// issued.
type pass struct {
	ec *etcdv1alpha1.EtcdCluster
	// restore is the snapshot a cluster with spec.bootstrap restores
	// (restore.go), nil without one.
	restore *etcdv1alpha1.RestoreStatus
	names   resources.Cluster
	namer   membership.Namer
	// sts is the cluster's StatefulSet, nil when there is none of ours.
	sts *appsv1.StatefulSet
	// replicas is the StatefulSet's replica count, -1 without one.
	replicas int32
	pods     map[string]*corev1.Pod
	claims   map[string]*corev1.PersistentVolumeClaim
	// data is what holds each member pod's data (dataUIDs), read with the
	// pods and claims.
	data map[string]string
	// certs are the cluster's certificates, secrets the Secrets holding
	// them, certFailure why they cannot be used; tlsConfig is the etcd
	// client's (nil without TLS).
	certs       certs.Set
	secrets     map[certs.Kind]*corev1.Secret
	certFailure *lifecycle.Failure
	tlsConfig   *tls.Config
	// certsQuietUntil: certs were checked at these Secrets' versions and
	// nothing is due before then.
	certsQuietUntil time.Time
	// endpoints are the client URLs the etcd client uses.
	endpoints []string
	// client is the cluster's etcd client, nil when there is none.
	client etcd.Client
	// cluster is etcd's answer, nil when it did not give one.
	cluster *etcdstate.Cluster
	// foreignID is the cluster ID members answered with when it is not
	// the one status records: etcd's answer is then ignored.
	foreignID string
	// formed is true once the cluster has formed: status holds its ID or
	// etcd answered with a member list.
	formed bool
	// clusterVersion is etcd's cluster version (upgrade.go), and
	// clusterVersionIndex the raft index it was first seen at.
	clusterVersion      string
	clusterVersionIndex uint64
	// upgrade is whether the members may go to spec.version; while they
	// may not, the chart renders heldVersion and heldDigest.
	upgrade                 upgrade.Verdict
	heldVersion, heldDigest string
	now                     time.Time
}

// observe reads the cluster's StatefulSet, pods and claims, then asks etcd.
// What holds each member's data is read before etcd is asked: a member etcd
// then reports healthy was served from that data, while the other order
// could credit a replacement pod with a health it never had.
func (r *EtcdClusterReconciler) observe(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) (*pass, error) {
	names := resources.For(ec, r.ClusterDomain)
	p := &pass{ec: ec, names: names, replicas: -1, now: time.Now()}
	p.namer = membership.Namer{Cluster: ec.Name, PeerURL: func(pod string) string { return r.Network.PeerURL(names, pod) }}
	var err error
	if p.sts, err = r.statefulSet(ctx, ec, names); err != nil {
		return nil, err
	}
	if p.sts != nil && p.sts.Spec.Replicas != nil {
		p.replicas = *p.sts.Spec.Replicas
	}
	if p.pods, err = r.memberPods(ctx, names); err != nil {
		return nil, err
	}
	if p.claims, err = r.memberClaims(ctx, ec, names); err != nil {
		return nil, err
	}
	p.data = dataUIDs(p)
	if err := r.observeCertificates(ctx, p); err != nil {
		return nil, err
	}
	p.endpoints = r.clientEndpoints(p)
	r.inspect(ctx, p)
	p.formed = ec.Status.ClusterID != "" || p.cluster != nil
	r.observeClusterVersion(ctx, p)
	p.upgrade = upgradeVerdict(p)
	p.heldVersion, p.heldDigest = held(p)
	return p, nil
}

func (r *EtcdClusterReconciler) statefulSet(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, names resources.Cluster) (*appsv1.StatefulSet, error) {
	sts := &appsv1.StatefulSet{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: names.Namespace, Name: names.StatefulSet()}, sts)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !metav1.IsControlledBy(sts, ec) {
		// Someone else's: applying the chart reports it.
		return nil, nil
	}
	return sts, nil
}

// memberPods are the cluster's pods in the cache, by name.
func (r *EtcdClusterReconciler) memberPods(ctx context.Context, names resources.Cluster) (map[string]*corev1.Pod, error) {
	pods := &corev1.PodList{}
	if err := r.Client.List(ctx, pods, client.InNamespace(names.Namespace), client.MatchingLabels(names.ManagedLabels())); err != nil {
		return nil, err
	}
	out := make(map[string]*corev1.Pod, len(pods.Items))
	for i := range pods.Items {
		out[pods.Items[i].Name] = &pods.Items[i]
	}
	return out, nil
}

// memberClaims are the cluster's claims in the cache, by the pod they
// serve; none for EmptyDir storage.
func (r *EtcdClusterReconciler) memberClaims(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, names resources.Cluster) (map[string]*corev1.PersistentVolumeClaim, error) {
	out := map[string]*corev1.PersistentVolumeClaim{}
	if ec.Spec.Storage.Type == etcdv1alpha1.StorageEmptyDir {
		return out, nil
	}
	claims := &corev1.PersistentVolumeClaimList{}
	if err := r.Client.List(ctx, claims, client.InNamespace(names.Namespace), client.MatchingLabels(names.ManagedLabels())); err != nil {
		return nil, err
	}
	for i := range claims.Items {
		if pod, ok := names.PodOfClaim(claims.Items[i].Name); ok {
			out[pod] = &claims.Items[i]
		}
	}
	return out, nil
}

// clientEndpoints are the members the operator talks to: the pods below
// the replicas, less the ones etcd last reported as learners, which refuse
// member list and membership calls.
func (r *EtcdClusterReconciler) clientEndpoints(p *pass) []string {
	learners := map[string]bool{}
	for _, m := range p.ec.Status.Members {
		learners[m.Name] = m.Learner
	}
	var eps []string
	for i := range max(p.replicas, 0) {
		if pod := p.names.Pod(i); !learners[pod] {
			if u := r.memberURL(p, pod); u != "" {
				eps = append(eps, u)
			}
		}
	}
	return eps
}

// memberURL is where the operator reaches pod's etcd, "" while it cannot.
func (r *EtcdClusterReconciler) memberURL(p *pass, pod string) string {
	ip := ""
	if po, ok := p.pods[pod]; ok {
		ip = po.Status.PodIP
	}
	return r.Network.ClientURL(p.names, pod, ip)
}

// inspect asks etcd for its members. p.cluster stays nil when there is
// nothing to ask yet, etcd did not answer within the timeouts, or the
// answer came from another etcd cluster.
func (r *EtcdClusterReconciler) inspect(ctx context.Context, p *pass) {
	if len(p.endpoints) == 0 {
		return
	}
	log := logf.FromContext(ctx)
	key := client.ObjectKeyFromObject(p.ec)
	c, err := r.Etcd.Dial(key, p.endpoints, p.tlsConfig)
	if err != nil {
		log.Info("etcd client not created", "error", err.Error())
		return
	}
	p.client = c
	// Each member's status is asked where the operator reaches its pod, not
	// at the DNS name the member advertises.
	cluster, err := c.Inspect(ctx, func(m etcdstate.Member) string { return r.memberURL(p, p.namer.Name(m)) })
	if err != nil {
		log.V(1).Info("etcd did not answer", "error", err.Error())
		return
	}
	// Pod IPs are reused: an address the cache still gives a gone member
	// may already belong to another cluster's pod, never to be acted on.
	if id := etcdstate.HexID(cluster.ID); p.ec.Status.ClusterID != "" && id != p.ec.Status.ClusterID {
		log.Info("an endpoint answered for another etcd cluster", "clusterID", id, "expected", p.ec.Status.ClusterID)
		r.Etcd.Forget(key)
		p.client, p.foreignID = nil, id
		return
	}
	p.cluster = cluster
}
