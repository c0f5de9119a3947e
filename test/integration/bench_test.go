package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/chart"
	"github.com/etcd-operator/etcd-operator/internal/controller"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/metrics"
	"github.com/etcd-operator/etcd-operator/test/etcdtest"
)

// BenchmarkNoopReconcile measures one reconcile of a Running 3-member
// cluster that needs nothing: cache reads, an etcd member list and status
// calls to three real members over loopback, the chart's values (whose
// render comes from the render cache: Helm's engine is not run, which the
// benchmark asserts) and the comparison with the live objects. It must
// write nothing. The chart render itself is BenchmarkRender in
// internal/chart.
func BenchmarkNoopReconcile(b *testing.B) {
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		b.Fatalf("starting envtest (is KUBEBUILDER_ASSETS set? run make bench): %v", err)
	}
	defer func() { _ = env.Stop() }()
	registerScheme()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, Cache: controller.CacheOptions("")})
	must(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan error, 1)
	go func() { started <- mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		b.Fatalf("manager did not start: %v", <-started)
	}

	renderer, err := chart.Load(filepath.Join("..", "..", "helm-charts", "etcd-cluster"))
	must(b, err)
	ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "bench"}, Spec: etcdv1alpha1.EtcdClusterSpec{Size: 3, TLS: etcdv1alpha1.TLSSpec{Provider: etcdv1alpha1.TLSDisabled}}}
	reg := &memberRegistry{clusters: map[types.NamespacedName]*etcdtest.Cluster{}, peerURLs: map[string]string{}}
	etcdMembers := etcdtest.NewCluster("bench")
	// A leader election is a change the status must show (a write); CI
	// runs this beside a whole local cluster, where 500 ms elections
	// fire, so the members get a timeout no busy machine reaches.
	etcdMembers.ElectionMs = 5000
	must(b, etcdMembers.Start(func(pod string) string { return reg.peerURL(ec, pod) }, "bench-0", "bench-1", "bench-2"))
	defer etcdMembers.Close()
	reg.set(client.ObjectKeyFromObject(ec), etcdMembers)

	p := etcd.NewPool(etcd.DefaultTimeouts)
	defer p.Close()
	newReconciler := func(rec *metrics.Recorder) *controller.EtcdClusterReconciler {
		return &controller.EtcdClusterReconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(), Renderer: chart.NewCache(renderer),
			Recorder: mgr.GetEventRecorder("bench"), ClusterDomain: "cluster.local", Etcd: metrics.InstrumentDialer(p, rec),
			Network: reg, Metrics: rec,
		}
	}
	r := newReconciler(nil)
	direct, err := client.New(cfg, client.Options{Scheme: scheme})
	must(b, err)
	must(b, direct.Create(ctx, ec))
	req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(ec)}

	// Converge: create the objects, mark the pods ready, reach Running.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := r.Reconcile(ctx, req)
		got := &etcdv1alpha1.EtcdCluster{}
		must(b, direct.Get(ctx, req.NamespacedName, got))
		if err == nil && got.Status.Phase == etcdv1alpha1.PhaseRunning {
			break
		}
		sts := &appsv1.StatefulSet{}
		if direct.Get(ctx, req.NamespacedName, sts) == nil && sts.Status.ReadyReplicas != 3 {
			sts.Status = appsv1.StatefulSetStatus{ObservedGeneration: sts.Generation, Replicas: 3, ReadyReplicas: 3, CurrentRevision: "r1", UpdateRevision: "r1"}
			_ = direct.Status().Update(ctx, sts)
		}
		if time.Now().After(deadline) {
			b.Fatalf("cluster not Running after 30s: %+v", got.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second) // let the cache see the last status write
	before := &etcdv1alpha1.EtcdCluster{}
	must(b, direct.Get(ctx, req.NamespacedName, before))

	// The same passes with the operator's metrics recorded (every etcd call
	// timed, the reconcile's counters) and its cluster series collected
	// once per pass, a scrape far more often than any Prometheus makes.
	promReg := prometheus.NewRegistry()
	recorder, err := metrics.Register(promReg, mgr.GetCache())
	must(b, err)
	measured := newReconciler(recorder)
	measured.Renderer = r.Renderer // warm: the render is cached
	perOp := map[string]float64{}
	for _, c := range []struct {
		name   string
		r      *controller.EtcdClusterReconciler
		scrape bool
	}{{"metrics=off", r, false}, {"metrics=on", measured, true}} {
		b.Run(c.name, func(b *testing.B) {
			noopPasses(ctx, b, c.r, req, func() {
				if c.scrape {
					_, _ = promReg.Gather()
				}
			})
			perOp[c.name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
	}
	if off := perOp["metrics=off"]; off > 0 {
		fmt.Printf("noop reconcile with metrics / without: %.3f (%.0f / %.0f ns/op)\n", perOp["metrics=on"]/off, perOp["metrics=on"], off)
	}
	select {
	case err := <-started:
		b.Fatalf("manager stopped during the benchmark: %v", err)
	default:
	}
	after := &etcdv1alpha1.EtcdCluster{}
	must(b, direct.Get(ctx, req.NamespacedName, after))
	if after.ResourceVersion != before.ResourceVersion {
		b.Fatalf("a no-op reconcile wrote the EtcdCluster: resourceVersion %s -> %s\nstatus before: %+v\nstatus after:  %+v",
			before.ResourceVersion, after.ResourceVersion, before.Status, after.Status)
	}
}

// noopPasses runs b.N reconciles of req, each followed by after, and
// fails if one rendered through Helm.
func noopPasses(ctx context.Context, b *testing.B, r *controller.EtcdClusterReconciler, req reconcile.Request, after func()) {
	renders := r.Renderer.Renders()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Reconcile(ctx, req); err != nil {
			b.Fatal(err)
		}
		after()
	}
	if n := r.Renderer.Renders() - renders; n != 0 {
		b.Fatalf("%d renders through Helm in no-op reconciles, want 0 (the render cache)", n)
	}
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
