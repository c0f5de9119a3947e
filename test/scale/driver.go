package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/test/etcdtest"
	"github.com/etcd-operator/etcd-operator/test/scale/standin"
)

const namespace = "scale"

type config struct {
	n, workers, changes, servers int
	window, poll                 time.Duration
	chart, heapProfile           string
}

// run is one measured run's moving parts.
type run struct {
	cfg      config
	client   client.Client
	cache    cache.Cache
	statsURL string

	mu      sync.Mutex
	waiters map[types.NamespacedName]chan time.Time
}

// measure starts an API server, the shared etcd servers, the operator
// process and the world, creates cfg.n clusters and measures.
func measure(cfg config) (result, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	// Two Services per cluster: envtest's default range has 256 addresses.
	env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.96.0.0/12")
	rc, err := env.Start()
	if err != nil {
		return result{}, fmt.Errorf("starting envtest (is KUBEBUILDER_ASSETS set?): %w", err)
	}
	defer func() { _ = env.Stop() }()
	servers, stopServers, err := startServers(cfg.servers)
	if err != nil {
		return result{}, err
	}
	defer stopServers()
	stopOperator, statsURL, err := startOperator(env, cfg, servers)
	if err != nil {
		return result{}, err
	}
	defer stopOperator()

	rc.QPS, rc.Burst = 1000, 2000
	r := &run{cfg: cfg, statsURL: statsURL, waiters: map[types.NamespacedName]chan time.Time{}}
	if err := r.startWorld(ctx, rc, servers); err != nil {
		return result{}, err
	}
	return r.measure(ctx)
}

func startServers(n int) (standin.Servers, func(), error) {
	var servers standin.Servers
	var running []*etcdtest.Cluster
	stop := func() {
		for _, c := range running {
			c.Close()
		}
	}
	for i := range n {
		c := etcdtest.NewCluster(fmt.Sprintf("standin-%d", i))
		if err := c.Start(func(string) string { u, _ := etcdtest.PeerURL(); return u }, "server"); err != nil {
			stop()
			return nil, nil, err
		}
		running = append(running, c)
		servers = append(servers, c.ClientURLOf("server"))
	}
	return servers, stop, nil
}

// startOperator runs this binary as the operator process, with its own
// kubeconfig, and returns where its figures are read.
func startOperator(env *envtest.Environment, cfg config, servers standin.Servers) (func(), string, error) {
	user, err := env.AddUser(envtest.User{Name: "etcd-operator", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, "", err
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return nil, "", err
	}
	dir, err := os.MkdirTemp("", "scale-")
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		return nil, "", err
	}
	cmd := exec.Command(os.Args[0], "-operator", "-servers", strings.Join(servers, ","), "-chart", cfg.chart, fmt.Sprintf("-workers=%d", cfg.workers), "-settled-poll-interval="+cfg.poll.String())
	cmd.Env = append(os.Environ(), "KUBECONFIG="+path)
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "stats ") {
		stop()
		return nil, "", fmt.Errorf("operator process did not start: %q: %w", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return stop, strings.TrimSpace(strings.TrimPrefix(line, "stats ")), nil
}

// startWorld runs the world's StatefulSet reconciler and a cache of the
// EtcdClusters in a manager of the driver's own.
func (r *run) startWorld(ctx context.Context, rc *rest.Config, servers standin.Servers) error {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(etcdv1alpha1.AddToScheme(scheme))
	mgr, err := ctrl.NewManager(rc, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"},
		Cache: cache.Options{DefaultNamespaces: map[string]cache.Config{namespace: {}}}})
	if err != nil {
		return err
	}
	world, err := standin.NewWorld(mgr.GetClient(), servers)
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); world.Close() }()
	world.Rolled = r.rolled
	if err := ctrl.NewControllerManagedBy(mgr).Named("world").For(&appsv1.StatefulSet{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: 1, SkipNameValidation: new(true)}).Complete(world); err != nil {
		return err
	}
	if _, err := mgr.GetCache().GetInformer(ctx, &etcdv1alpha1.EtcdCluster{}); err != nil {
		return err
	}
	go func() { _ = mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return errors.New("world cache did not sync")
	}
	r.client, r.cache = mgr.GetClient(), mgr.GetCache()
	return r.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})
}

func (r *run) rolled(key types.NamespacedName, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, ok := r.waiters[key]; ok {
		ch <- at
		delete(r.waiters, key)
	}
}

func (r *run) waitRolled(key types.NamespacedName) chan time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan time.Time, 1)
	r.waiters[key] = ch
	return ch
}

func (r *run) stats(gc bool) (stats, error) {
	u := r.statsURL
	if gc {
		u += "?gc=1"
	}
	resp, err := http.Get(u) //nolint:gosec // the operator process on loopback
	if err != nil {
		return stats{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	var s stats
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

// saveHeapProfile writes the operator's heap profile to path.
func (r *run) saveHeapProfile(path string) error {
	resp, err := http.Get(strings.TrimSuffix(r.statsURL, "/stats") + "/debug/pprof/heap") //nolint:gosec // loopback
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	_, err = io.Copy(f, resp.Body)
	return err
}

func name(i int) string { return fmt.Sprintf("c%04d", i) }

// createAll creates n clusters of 3 members with the defaults (TLS issued
// by the operator) and returns when all are Running.
func (r *run) createAll(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := range r.cfg.n {
		g.Go(func() error {
			return r.client.Create(gctx, &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name(i)},
				Spec: etcdv1alpha1.EtcdClusterSpec{Size: 3, Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}})
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(20 * time.Minute)
	for time.Now().Before(deadline) {
		if r.running(ctx) == r.cfg.n {
			return time.Since(start), nil
		}
		time.Sleep(250 * time.Millisecond) // a count over the local cache
	}
	return 0, fmt.Errorf("%d of %d clusters Running after 20 minutes", r.running(ctx), r.cfg.n)
}

func (r *run) running(ctx context.Context) int {
	list := &etcdv1alpha1.EtcdClusterList{}
	if err := r.cache.List(ctx, list); err != nil {
		return 0
	}
	n := 0
	for _, ec := range list.Items {
		if ec.Status.Phase == etcdv1alpha1.PhaseRunning {
			n++
		}
	}
	return n
}
