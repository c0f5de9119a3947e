// Package integration runs the controller against a real kube-apiserver and
// etcd (envtest) with real embedded etcd members standing in for the pods
// that envtest cannot run.
package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/chart"
	"github.com/etcd-operator/etcd-operator/internal/controller"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/metrics"
	"github.com/etcd-operator/etcd-operator/internal/resources"
	"github.com/etcd-operator/etcd-operator/test/etcdtest"
)

// brokenNamespace is reconciled by a second manager whose chart cannot
// render; secureNamespace by the operator as cmd/ builds it, with its
// metrics served over HTTPS (metrics_test.go).
const (
	brokenNamespace = "broken-chart"
	secureNamespace = "metrics-secure"
)

var (
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
	scheme    = runtime.NewScheme()
	cancel    context.CancelFunc
	pool      *etcd.Pool
	reconcilr *controller.EtcdClusterReconciler
	// registry holds the main manager's operator series.
	registry = prometheus.NewPedanticRegistry()
	members  = &memberRegistry{clusters: map[types.NamespacedName]*etcdtest.Cluster{}, peerURLs: map[string]string{}}
)

// memberRegistry maps an EtcdCluster to the embedded etcd members that
// stand in for its pods.
type memberRegistry struct {
	mu       sync.Mutex
	clusters map[types.NamespacedName]*etcdtest.Cluster
	peerURLs map[string]string
}

// peerURL gives each pod a loopback peer URL, reserved on first use, so
// that a member the controller adds can later be started on it.
// PeerURL implements resources.Network.
func (r *memberRegistry) PeerURL(c resources.Cluster, pod string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := c.Namespace + "/" + pod
	if u, ok := r.peerURLs[key]; ok {
		return u
	}
	u, err := etcdtest.PeerURL()
	if err != nil {
		panic(err)
	}
	r.peerURLs[key] = u
	return u
}

func (r *memberRegistry) set(key types.NamespacedName, c *etcdtest.Cluster) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clusters[key] = c
}

// ClientURL implements resources.Network: the embedded member standing in
// for pod, "" while none runs.
func (r *memberRegistry) ClientURL(c resources.Cluster, pod, _ string) string {
	r.mu.Lock()
	m := r.clusters[types.NamespacedName{Namespace: c.Namespace, Name: c.Name}]
	r.mu.Unlock()
	if m == nil {
		return ""
	}
	return m.ClientURLOf(pod)
}

func (r *memberRegistry) peerURL(ec *etcdv1alpha1.EtcdCluster, pod string) string {
	return r.PeerURL(resources.For(ec, ""), pod)
}

var registerScheme = sync.OnceFunc(func() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(etcdv1alpha1.AddToScheme(scheme))
})

func TestIntegration(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "EtcdCluster controller integration")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	Expect(os.Getenv("KUBEBUILDER_ASSETS")).NotTo(BeEmpty(), "KUBEBUILDER_ASSETS must point at kube-apiserver and etcd: run through make test-integration")
	registerScheme()

	// prometheus-operator's CRDs, so that the objects config/prometheus
	// ships are checked against their schemas (metrics_test.go).
	Expect(os.Getenv("MONITORING_CRDS")).NotTo(BeEmpty(), "MONITORING_CRDS must name the monitoring.coreos.com CRDs: run through make test-integration")
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases"), os.Getenv("MONITORING_CRDS")},
		ErrorIfCRDPathMissing: true,
	}
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	Expect(err).NotTo(HaveOccurred())
	version, err := disco.ServerVersion()
	Expect(err).NotTo(HaveOccurred())
	fmt.Printf("integration suite on kube-apiserver %s\n", version.GitVersion)

	var ctx context.Context
	ctx, cancel = context.WithCancel(context.Background())
	pool = etcd.NewPool(etcd.Timeouts{Dial: time.Second, Call: time.Second})
	renderer, err := chart.Load(filepath.Join("..", "..", "helm-charts", "etcd-cluster"))
	Expect(err).NotTo(HaveOccurred())
	// The operator's own cache options (only objects it labeled as its
	// own), less the namespace the second manager reconciles.
	opts := controller.CacheOptions("")
	opts.DefaultNamespaces = map[string]cache.Config{cache.AllNamespaces: {FieldSelector: fieldsNotInNamespace(brokenNamespace, secureNamespace)}}
	reconcilr = startManager(ctx, renderer, opts, registry)

	broken, err := chart.Load(filepath.Join("testdata", "broken-chart"))
	Expect(err).NotTo(HaveOccurred())
	startManager(ctx, broken, cache.Options{DefaultNamespaces: map[string]cache.Config{brokenNamespace: {}}}, nil)
})

// startManager runs a manager and its reconciler over renderer's chart,
// with its operator series in reg (none when nil).
func startManager(ctx context.Context, renderer *chart.Renderer, cacheOpts cache.Options, reg *prometheus.Registry) *controller.EtcdClusterReconciler {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:     scheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Cache:      cacheOpts,
		Controller: ctrlConfig(),
	})
	Expect(err).NotTo(HaveOccurred())
	var recorder *metrics.Recorder
	if reg != nil {
		recorder, err = metrics.Register(reg, mgr.GetCache())
		Expect(err).NotTo(HaveOccurred())
	}
	r := &controller.EtcdClusterReconciler{
		Client:        mgr.GetClient(),
		Scheme:        mgr.GetScheme(),
		Renderer:      chart.NewCache(renderer),
		APIReader:     mgr.GetAPIReader(),
		Recorder:      mgr.GetEventRecorder("etcd-operator"),
		Etcd:          metrics.InstrumentDialer(pool, recorder),
		Metrics:       recorder,
		Network:       members,
		ClusterDomain: "cluster.local",
		// envtest has no kubelet: a stopped member changes no pod, so only
		// the health poll finds it; the production default would outlast
		// the specs' timeouts.
		SettledPoll: time.Second,
	}
	Expect(r.SetupWithManager(mgr, 4)).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	return r
}

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if pool != nil {
		pool.Close()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
