//go:build e2e || olm

// Package framework is what the end-to-end suites (test/e2e, build tag
// e2e) and the OLM suite (test/olm, build tag olm) share: the clients of
// the Kubernetes cluster, one observer of an etcd cluster through clientv3
// with a pluggable dialer, a background writer with its lost-write and gap
// accounting, diagnostics of a failed spec, test namespaces, the cluster's
// topology and a timings reporter. It names an EtcdCluster's objects and
// URLs through internal/resources, as the operator does.
//
// It carries both suites' build tags, so that `go build ./...` and the
// unit tests do not compile it.
package framework

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// OperatorPodLabels select the operator's pods (config/manager, and the
// Deployment the CSV makes).
var OperatorPodLabels = client.MatchingLabels{"control-plane": "controller-manager"}

// Framework is one suite's view of the cluster under test.
type Framework struct {
	K8s       client.Client
	Clientset kubernetes.Interface
	// Dialer builds the etcd clients: the scheme of the member URLs and
	// their TLS configuration.
	Dialer Dialer
	// Topology is the cluster's nodes and what can be done to them.
	Topology Topology
	// OperatorNamespace is where the operator under test runs; the
	// diagnostics read its pods' logs.
	OperatorNamespace string
	// ArtifactsDir receives a failed spec's diagnostics; empty: none are
	// written, they go to the spec's output only.
	ArtifactsDir string
	// SuiteLabel is set to "true" on every namespace NewNamespace makes.
	SuiteLabel string
}

// Connect builds the clients of the cluster that kubeconfig names, with
// the client-side rate limits qps and burst, and asks the cluster for its
// topology. The dialer is plain http, as the chart serves etcd today.
func Connect(ctx context.Context, kubeconfig string, qps float32, burst int) (*Framework, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = qps, burst
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(etcdv1alpha1.AddToScheme(scheme))
	k8s, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	fw := &Framework{K8s: k8s, Clientset: cs, Dialer: HTTP()}
	if fw.Topology, err = DetectTopology(ctx, k8s); err != nil {
		return nil, fmt.Errorf("the cluster at %s: %w", cfg.Host, err)
	}
	return fw, nil
}

// FetchCluster reads ec's current state from the API server.
func (f *Framework) FetchCluster(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) (*etcdv1alpha1.EtcdCluster, error) {
	got := &etcdv1alpha1.EtcdCluster{}
	return got, f.K8s.Get(ctx, client.ObjectKeyFromObject(ec), got)
}
