// Command manager runs the etcd operator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/chart"
	"github.com/etcd-operator/etcd-operator/internal/controller"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/resources"
	"github.com/etcd-operator/etcd-operator/internal/watches"
)

// version is the operator's release, stamped by the image build
// (-ldflags -X main.version=...); it is logged at start-up.
var version = "dev"

func main() {
	var (
		metricsAddr, probeAddr, watchesFile, namespaces, clusterDomain string
		leaderElect                                                    bool
		workers                                                        int
		timeouts                                                       = etcd.DefaultTimeouts
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", ":8080", "Address of the Prometheus metrics endpoint; 0 disables it.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "Address of the /healthz and /readyz endpoints.")
	flag.BoolVar(&leaderElect, "leader-elect", false, "Elect a leader so that only one replica reconciles.")
	flag.StringVar(&watchesFile, "watches-file", "watches.yaml", "Operator SDK watches file mapping EtcdCluster to its Helm chart.")
	flag.StringVar(&namespaces, "watch-namespaces", os.Getenv("WATCH_NAMESPACE"), "Comma-separated namespaces to watch; empty watches all (default $WATCH_NAMESPACE).")
	flag.StringVar(&clusterDomain, "cluster-domain", "cluster.local", "Kubernetes DNS domain, for member URLs.")
	flag.IntVar(&workers, "max-concurrent-reconciles", 4, "EtcdClusters reconciled at once; one unreachable cluster holds at most one worker for a few seconds.")
	flag.DurationVar(&timeouts.Dial, "etcd-dial-timeout", timeouts.Dial, "Timeout to connect to an etcd member.")
	flag.DurationVar(&timeouts.Call, "etcd-call-timeout", timeouts.Call, "Timeout of one etcd request.")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")

	if err := run(metricsAddr, probeAddr, watchesFile, namespaces, clusterDomain, leaderElect, workers, timeouts); err != nil {
		log.Error(err, "operator stopped")
		os.Exit(1)
	}
}

func run(metricsAddr, probeAddr, watchesFile, namespaces, clusterDomain string, leaderElect bool, workers int, timeouts etcd.Timeouts) error {
	log := ctrl.Log.WithName("setup")
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(etcdv1alpha1.AddToScheme(scheme))

	ws, err := watches.Load(watchesFile)
	if err != nil {
		return err
	}
	chartPath, err := watches.ChartFor(ws, etcdv1alpha1.GroupVersion.WithKind("EtcdCluster"))
	if err != nil {
		return err
	}
	renderer, err := chart.Load(chartPath)
	if err != nil {
		return err
	}
	log.Info("loaded chart", "path", chartPath, "version", renderer.Chart().Version)

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress:  probeAddr,
		LeaderElection:          leaderElect,
		LeaderElectionID:        "etcd-operator.etcd.io",
		LeaderElectionNamespace: os.Getenv("POD_NAMESPACE"),
		// A replaced pod hands the lease over at once instead of making the
		// new one wait for it to expire; safe since the process exits next.
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       new(10 * time.Second),
		Cache:                         controller.CacheOptions(namespaces),
	})
	if err != nil {
		return err
	}
	pool := etcd.NewPool(timeouts)
	defer pool.Close()
	r := &controller.EtcdClusterReconciler{
		Client:        mgr.GetClient(),
		APIReader:     mgr.GetAPIReader(),
		Scheme:        mgr.GetScheme(),
		Renderer:      chart.NewCache(renderer),
		Recorder:      mgr.GetEventRecorder("etcd-operator"),
		Etcd:          pool,
		Network:       resources.PodNetwork{},
		ClusterDomain: clusterDomain,
	}
	if err := r.SetupWithManager(mgr, workers); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	ready, err := readiness(mgr)
	if err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", ready); err != nil {
		return err
	}
	log.Info("starting manager", "version", version, "namespaces", namespaces, "workers", workers)
	return mgr.Start(ctrl.SetupSignalHandler())
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
