package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// result is one run's figures.
type result struct {
	n                       int
	rssMB, heapMB           float64
	goroutines, etcdConns   int
	readsPerS, writesPerS   float64
	etcdCallsPerSPerCluster float64
	changeP50, changeP99    time.Duration
	allRunning              time.Duration
}

// detail is what the line leaves out.
func (r result) detail() string {
	return fmt.Sprintf("scale-detail clusters=%d steady_api_reads_per_s=%.2f", r.n, r.readsPerS)
}

func (r result) line() string {
	return fmt.Sprintf("scale clusters=%d rss_mb=%.1f heap_mb=%.1f goroutines=%d etcd_conns=%d steady_api_writes_per_s=%.2f etcd_calls_per_s_per_cluster=%.3f change_p50_s=%.3f change_p99_s=%.3f all_running_s=%.1f",
		r.n, r.rssMB, r.heapMB, r.goroutines, r.etcdConns, r.writesPerS, r.etcdCallsPerSPerCluster,
		r.changeP50.Seconds(), r.changeP99.Seconds(), r.allRunning.Seconds())
}

// measure creates the clusters, waits for the operator to settle, reads
// the steady state over the window, then times single spec changes.
func (r *run) measure(ctx context.Context) (result, error) {
	res := result{n: r.cfg.n}
	var err error
	if res.allRunning, err = r.createAll(ctx); err != nil {
		return res, err
	}
	if err := r.settle(); err != nil {
		return res, err
	}
	s0, err := r.stats(false)
	if err != nil {
		return res, err
	}
	time.Sleep(r.cfg.window) // the steady-state window itself
	s1, err := r.stats(true)
	if err != nil {
		return res, err
	}
	secs := r.cfg.window.Seconds()
	res.readsPerS = float64(s1.APIReads-s0.APIReads) / secs
	res.writesPerS = float64(s1.APIWrites-s0.APIWrites) / secs
	res.etcdCallsPerSPerCluster = float64(s1.EtcdCalls-s0.EtcdCalls) / secs / float64(r.cfg.n)
	res.rssMB, res.heapMB = float64(s1.RSSBytes)/(1<<20), float64(s1.HeapBytes)/(1<<20)
	res.goroutines, res.etcdConns = s1.Goroutines, s1.EtcdConns
	if r.cfg.heapProfile != "" {
		if err := r.saveHeapProfile(fmt.Sprintf("%s.%d", r.cfg.heapProfile, r.cfg.n)); err != nil {
			return res, err
		}
	}
	lat, err := r.changes(ctx)
	if err != nil {
		return res, err
	}
	res.changeP50, res.changeP99 = percentile(lat, 50), percentile(lat, 99)
	return res, nil
}

// settle waits until the operator has made no API write for 15 seconds.
func (r *run) settle() error {
	deadline := time.Now().Add(5 * time.Minute)
	last, quietSince := int64(-1), time.Now()
	for time.Now().Before(deadline) {
		s, err := r.stats(false)
		if err != nil {
			return err
		}
		if s.APIWrites != last {
			last, quietSince = s.APIWrites, time.Now()
		} else if time.Since(quietSince) >= 15*time.Second {
			return nil
		}
		time.Sleep(time.Second) // a poll of the operator's counters
	}
	return fmt.Errorf("the operator kept writing for 5 minutes after all clusters were Running")
}

// changes changes the CPU request of distinct clusters one at a time and
// times each from the update to the StatefulSet's new generation.
func (r *run) changes(ctx context.Context) ([]time.Duration, error) {
	order := rand.Perm(r.cfg.n)[:min(r.cfg.changes, r.cfg.n)]
	var lat []time.Duration
	for j, i := range order {
		key := types.NamespacedName{Namespace: namespace, Name: name(i)}
		ch := r.waitRolled(key)
		start := time.Now()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			ec := &etcdv1alpha1.EtcdCluster{}
			if err := r.client.Get(ctx, key, ec); err != nil {
				return err
			}
			ec.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(fmt.Sprintf("%dm", 200+j))}
			return r.client.Update(ctx, ec)
		})
		if err != nil {
			return nil, err
		}
		select {
		case at := <-ch:
			lat = append(lat, at.Sub(start))
		case <-time.After(30 * time.Second):
			return nil, fmt.Errorf("the operator did not act on %s's change within 30s", key.Name)
		}
	}
	return lat, nil
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}

// printPerCluster prints the cost of one more idle cluster between
// consecutive runs: flat means the same figure from 100 to 1,000.
func printPerCluster(rs []result) {
	for i := 1; i < len(rs); i++ {
		a, b := rs[i-1], rs[i]
		dn := float64(b.n - a.n)
		fmt.Printf("per idle cluster from %d to %d: rss_kb=%.1f goroutines=%.2f etcd_calls_per_s=%.3f (at %d: %.3f)\n",
			a.n, b.n, (b.rssMB-a.rssMB)*1024/dn, float64(b.goroutines-a.goroutines)/dn, b.etcdCallsPerSPerCluster, a.n, a.etcdCallsPerSPerCluster)
	}
}
