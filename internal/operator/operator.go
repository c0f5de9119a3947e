// Package operator assembles the etcd operator: the manager with its
// caches and leader election, the EtcdCluster controller and its health
// checks. The command (cmd/) only parses flags; the scale benchmark
// (test/scale) builds the same operator with stand-ins for the etcd
// members, so that what it measures is what runs in production.
package operator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/chart"
	"github.com/etcd-operator/etcd-operator/internal/controller"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/metrics"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// Options are the operator's settings, from its flags.
type Options struct {
	MetricsAddr, ProbeAddr string
	// InsecureMetrics serves metrics over plain HTTP to anyone; by default
	// they are served over HTTPS to clients the API server authenticates
	// and authorizes (a TokenReview and a SubjectAccessReview for GET on
	// the non-resource URL /metrics).
	InsecureMetrics bool
	LeaderElect     bool
	// Namespaces is a comma-separated list; empty watches all.
	Namespaces    string
	ClusterDomain string
	// Workers is how many EtcdClusters are reconciled at once.
	Workers int
	// SettledPoll is the health poll of a settled cluster (0: the
	// controller's default).
	SettledPoll time.Duration
	// Chart is the loaded Helm chart of an EtcdCluster.
	Chart *chart.Renderer
	// Etcd reaches the members and Network says where they are; nil means
	// the production ones: a clientv3 pool with Timeouts, pod IPs.
	Etcd     etcd.Dialer
	Network  resources.Network
	Timeouts etcd.Timeouts
	// AgentImage runs backups and restores; empty means the image of the
	// operator's own pod ($POD_NAMESPACE/$POD_NAME), looked up at start.
	AgentImage string
	// SkipNameValidation lets a test run a second operator in one process
	// (controller names are otherwise unique per process).
	SkipNameValidation bool
}

// New builds the operator's manager from cfg. The returned function
// releases what the manager does not own (the etcd clients); call it
// after the manager has stopped.
func New(cfg *rest.Config, o Options) (ctrl.Manager, func(), error) {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(etcdv1alpha1.AddToScheme(scheme))
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsOptions(o),
		HealthProbeBindAddress:  o.ProbeAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        "etcd-operator.etcd.io",
		LeaderElectionNamespace: os.Getenv("POD_NAMESPACE"),
		// A replaced pod hands the lease over at once instead of making the
		// new one wait for it to expire; safe since the process exits next.
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       new(10 * time.Second),
		Cache:                         controller.CacheOptions(o.Namespaces),
		Controller:                    config.Controller{SkipNameValidation: &o.SkipNameValidation},
	})
	if err != nil {
		return nil, nil, err
	}
	release := func() {}
	if o.Etcd == nil {
		pool := etcd.NewPool(o.Timeouts)
		o.Etcd, release = pool, pool.Close
	}
	if o.Network == nil {
		o.Network = resources.PodNetwork{}
	}
	// The manager serves controller-runtime's registry on /metrics.
	recorder, err := metrics.Register(ctrlmetrics.Registry, mgr.GetCache())
	if err != nil {
		release()
		return nil, nil, err
	}
	if o.AgentImage == "" {
		o.AgentImage = ownImage(cfg)
	}
	r := &controller.EtcdClusterReconciler{
		AgentImage:    o.AgentImage,
		Client:        mgr.GetClient(),
		APIReader:     mgr.GetAPIReader(),
		Scheme:        mgr.GetScheme(),
		Renderer:      chart.NewCache(o.Chart),
		Recorder:      mgr.GetEventRecorder("etcd-operator"),
		Etcd:          metrics.InstrumentDialer(o.Etcd, recorder),
		Network:       o.Network,
		Metrics:       recorder,
		ClusterDomain: o.ClusterDomain,
		SettledPoll:   o.SettledPoll,
	}
	if err := r.SetupWithManager(mgr, o.Workers); err != nil {
		release()
		return nil, nil, err
	}
	if err := setupBackups(mgr, o); err != nil {
		release()
		return nil, nil, err
	}
	if err := addChecks(mgr); err != nil {
		release()
		return nil, nil, err
	}
	return mgr, release, nil
}

// metricsOptions serve /metrics on o.MetricsAddr, over HTTPS with
// authentication and authorization unless o.InsecureMetrics. With no
// certificate directory controller-runtime serves a self-signed one, which
// a scraper skips verifying, as it does for kubebuilder's scaffold.
func metricsOptions(o Options) metricsserver.Options {
	if o.InsecureMetrics {
		return metricsserver.Options{BindAddress: o.MetricsAddr}
	}
	return metricsserver.Options{
		BindAddress:    o.MetricsAddr,
		SecureServing:  true,
		FilterProvider: filters.WithAuthenticationAndAuthorization,
		// HTTP/2 off: its stream reset and rapid reset attacks
		// (CVE-2023-44487, CVE-2023-39325) cost nothing to send.
		TLSOpts: []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }},
	}
}

func addChecks(mgr ctrl.Manager) error {
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	ready, err := readiness(mgr)
	if err != nil {
		return err
	}
	return mgr.AddReadyzCheck("readyz", ready)
}

// readiness is ready once the manager's caches have synced and the API
// server answers its own /readyz (open to every client): a manager that
// cannot read or write would only hold requests.
func readiness(mgr ctrl.Manager) (healthz.Checker, error) {
	clientset, err := kubernetes.NewForConfig(mgr.GetConfig())
	if err != nil {
		return nil, err
	}
	return func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return errors.New("caches not synced")
		}
		if err := clientset.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Error(); err != nil {
			return fmt.Errorf("API server not ready: %w", err)
		}
		return nil
	}, nil
}
