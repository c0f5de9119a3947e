package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // the operator's profiles, on loopback, for make bench-scale
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/etcd-operator/etcd-operator/internal/chart"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/operator"
	"github.com/etcd-operator/etcd-operator/test/scale/standin"
)

// stats is what the operator process reports about itself.
type stats struct {
	RSSBytes   int64 `json:"rssBytes"`
	HeapBytes  int64 `json:"heapBytes"`
	Goroutines int   `json:"goroutines"`
	EtcdConns  int   `json:"etcdConns"`
	EtcdCalls  int64 `json:"etcdCalls"`
	APIReads   int64 `json:"apiReads"`
	APIWrites  int64 `json:"apiWrites"`
}

// apiCounter counts the operator's requests to the API server by kind.
type apiCounter struct {
	next          http.RoundTripper
	reads, writes *atomic.Int64
}

func (c apiCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		c.reads.Add(1)
	default:
		c.writes.Add(1)
	}
	return c.next.RoundTrip(req)
}

// runOperator is the child process: the production operator (package
// operator) with the stand-in dialer and network, and a loopback endpoint
// for its own figures. KUBECONFIG names the envtest API server.
func runOperator(servers, chartDir string, workers int, poll time.Duration) error {
	renderer, err := chart.Load(chartDir)
	if err != nil {
		return err
	}
	cfg := ctrl.GetConfigOrDie()
	var reads, writes atomic.Int64
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return apiCounter{next: rt, reads: &reads, writes: &writes}
	})
	dialer := standin.NewDialer(standin.Servers(strings.Split(servers, ",")), etcd.DefaultTimeouts)
	defer dialer.Close()
	mgr, release, err := operator.New(rest.CopyConfig(cfg), operator.Options{
		MetricsAddr: "0", ProbeAddr: "0", ClusterDomain: "cluster.local", Workers: workers, SettledPoll: poll,
		Chart: renderer, Etcd: dialer, Network: standin.Network{},
	})
	if err != nil {
		return err
	}
	defer release()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	http.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") != "" {
			runtime.GC()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = json.NewEncoder(w).Encode(stats{
			RSSBytes: rss(), HeapBytes: int64(ms.HeapAlloc), Goroutines: runtime.NumGoroutine(),
			EtcdConns: dialer.Open(), EtcdCalls: dialer.Calls.Load(), APIReads: reads.Load(), APIWrites: writes.Load(),
		})
	})
	go func() { _ = http.Serve(ln, nil) }()
	fmt.Printf("stats http://%s/stats\n", ln.Addr())
	return mgr.Start(ctrl.SetupSignalHandler())
}

// rss is the process's resident set from /proc.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}
