// Command manager runs the etcd operator.
package main

import (
	"flag"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/backupagent"
	"github.com/etcd-operator/etcd-operator/internal/chart"
	"github.com/etcd-operator/etcd-operator/internal/controller"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/operator"
	"github.com/etcd-operator/etcd-operator/internal/watches"
)

// version is the operator's release, stamped by the image build
// (-ldflags -X main.version=...); it is logged at start-up.
var version = "dev"

func main() {
	// The backup agent runs from the same image, in backup Jobs and in
	// restoring members' init containers: `manager backup ...`.
	if len(os.Args) > 1 {
		if agent, ok := backupagent.Commands[os.Args[1]]; ok {
			os.Exit(agent(os.Args[2:]))
		}
	}
	o := operator.Options{Timeouts: etcd.DefaultTimeouts}
	var watchesFile string
	flag.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8443", "Address of the Prometheus metrics endpoint; 0 disables it.")
	flag.BoolVar(&o.InsecureMetrics, "metrics-insecure", false, "Serve metrics over plain HTTP to any client, instead of HTTPS to clients the API server authorizes for GET /metrics.")
	flag.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "Address of the /healthz and /readyz endpoints.")
	flag.BoolVar(&o.LeaderElect, "leader-elect", false, "Elect a leader so that only one replica reconciles.")
	flag.StringVar(&watchesFile, "watches-file", "watches.yaml", "Operator SDK watches file mapping EtcdCluster to its Helm chart.")
	flag.StringVar(&o.Namespaces, "watch-namespaces", os.Getenv("WATCH_NAMESPACE"), "Comma-separated namespaces to watch; empty watches all (default $WATCH_NAMESPACE).")
	flag.StringVar(&o.ClusterDomain, "cluster-domain", "cluster.local", "Kubernetes DNS domain, for member URLs.")
	flag.IntVar(&o.Workers, "max-concurrent-reconciles", 4, "EtcdClusters reconciled at once; one unreachable cluster holds at most one worker for a few seconds.")
	flag.DurationVar(&o.SettledPoll, "settled-poll-interval", controller.DefaultSettledPoll, "How often a settled, healthy cluster's members are asked for their health (jittered up to 20% longer); pod changes are seen at once regardless.")
	flag.StringVar(&o.AgentImage, "agent-image", os.Getenv("AGENT_IMAGE"), "Image of the backup and restore agent (default $AGENT_IMAGE, else the image of the operator's own pod).")
	flag.DurationVar(&o.Timeouts.Dial, "etcd-dial-timeout", o.Timeouts.Dial, "Timeout to connect to an etcd member.")
	flag.DurationVar(&o.Timeouts.Call, "etcd-call-timeout", o.Timeouts.Call, "Timeout of one etcd request.")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	if err := run(watchesFile, o); err != nil {
		ctrl.Log.WithName("setup").Error(err, "operator stopped")
		os.Exit(1)
	}
}

func run(watchesFile string, o operator.Options) error {
	log := ctrl.Log.WithName("setup")
	ws, err := watches.Load(watchesFile)
	if err != nil {
		return err
	}
	chartPath, err := watches.ChartFor(ws, etcdv1alpha1.GroupVersion.WithKind("EtcdCluster"))
	if err != nil {
		return err
	}
	if o.Chart, err = chart.Load(chartPath); err != nil {
		return err
	}
	log.Info("loaded chart", "path", chartPath, "version", o.Chart.Chart().Version)
	mgr, release, err := operator.New(ctrl.GetConfigOrDie(), o)
	if err != nil {
		return err
	}
	defer release()
	log.Info("starting manager", "version", version, "namespaces", o.Namespaces, "workers", o.Workers, "settledPoll", o.SettledPoll)
	return mgr.Start(ctrl.SetupSignalHandler())
}
