// Command manager runs the etcd operator.
package main

import (
	"flag"
	"os"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
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
		Cache:                         cacheOptions(namespaces),
	})
	if err != nil {
		return err
	}
	pool := etcd.NewPool(timeouts)
	defer pool.Close()
	r := &controller.EtcdClusterReconciler{
		Client:        mgr.GetClient(),
		Scheme:        mgr.GetScheme(),
		Renderer:      chart.NewCache(renderer),
		Pool:          pool,
		Recorder:      mgr.GetEventRecorder("etcd-operator"),
		ClusterDomain: clusterDomain,
		Endpoints:     controller.PodIPEndpoints,
	}
	if err := r.SetupWithManager(mgr, workers); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	log.Info("starting manager", "namespaces", namespaces, "workers", workers)
	return mgr.Start(ctrl.SetupSignalHandler())
}

// cacheOptions watches only the given namespaces and, of the kinds the chart
// renders, only objects the operator manages: the cache stays small in
// clusters full of other StatefulSets, Services and ConfigMaps.
func cacheOptions(namespaces string) cache.Options {
	managed := labels.SelectorFromSet(labels.Set{"app.kubernetes.io/managed-by": resources.ManagedBy})
	opts := cache.Options{ByObject: map[client.Object]cache.ByObject{
		&appsv1.StatefulSet{}:           {Label: managed},
		&corev1.Service{}:               {Label: managed},
		&corev1.ConfigMap{}:             {Label: managed},
		&corev1.Pod{}:                   {Label: managed},
		&corev1.PersistentVolumeClaim{}: {Label: managed},
	}}
	if namespaces != "" {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range strings.Split(namespaces, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				opts.DefaultNamespaces[ns] = cache.Config{}
			}
		}
	}
	return opts
}
