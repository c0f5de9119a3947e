// Command scale measures one operator reconciling N EtcdClusters on a real
// kube-apiserver and etcd (envtest), with the production manager, caches,
// workqueue and controller in a process of their own, whose memory,
// goroutines, API requests and etcd calls it reports. What stands in: the
// members (package standin: a few shared real etcd servers answer every
// cluster's calls) and the StatefulSet controller and kubelet (the world
// marks StatefulSets ready). Run it with make bench-scale.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

func main() {
	var (
		child          bool
		servers, chart string
		clusters       string
		workers, m     int
		shared         int
		window, poll   time.Duration
		heapProfile    string
	)
	flag.BoolVar(&child, "operator", false, "Run as the operator process (started by the driver).")
	flag.StringVar(&servers, "servers", "", "Operator process: client URLs of the shared etcd servers.")
	flag.StringVar(&chart, "chart", "helm-charts/etcd-cluster", "The EtcdCluster chart.")
	flag.IntVar(&workers, "workers", 4, "The operator's --max-concurrent-reconciles.")
	flag.StringVar(&clusters, "clusters", "10,100,1000", "Comma-separated cluster counts, one run each.")
	flag.IntVar(&m, "changes", 40, "Spec changes timed per run, each on another cluster.")
	flag.IntVar(&shared, "etcd-servers", 3, "Shared etcd servers standing in for the members.")
	flag.DurationVar(&window, "window", 60*time.Second, "Steady-state measurement window.")
	flag.StringVar(&heapProfile, "heap-profile", "", "Write the operator's heap profile after settling to this file, suffixed with the cluster count.")
	flag.DurationVar(&poll, "settled-poll-interval", 0, "The operator's --settled-poll-interval (0: its default).")
	flag.Parse()
	// The operator logs as in production, to nowhere; the driver is silent.
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	if child {
		if err := runOperator(servers, chart, workers, poll); err != nil {
			fmt.Fprintln(os.Stderr, "operator:", err)
			os.Exit(1)
		}
		return
	}
	var results []result
	for _, s := range strings.Split(clusters, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "bad cluster count %q\n", s)
			os.Exit(2)
		}
		r, err := measure(config{n: n, workers: workers, poll: poll, heapProfile: heapProfile, changes: m, servers: shared, window: window, chart: chart})
		if err != nil {
			fmt.Fprintf(os.Stderr, "clusters=%d: %v\n", n, err)
			os.Exit(1)
		}
		fmt.Println(r.line())
		fmt.Println(r.detail())
		results = append(results, r)
	}
	printPerCluster(results)
}
