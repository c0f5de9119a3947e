//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

const (
	// writeInterval is how often the writer starts a Put.
	writeInterval = 20 * time.Millisecond
	// writeTimeout bounds one Put: a longer stall counts as a failed attempt.
	writeTimeout = time.Second
	// verifyBound bounds reading every acknowledged key back.
	verifyBound = time.Minute
)

// ack is one write that etcd acknowledged.
type ack struct {
	Key, Value string
	At         time.Time
	Revision   int64
}

// writer is an application writing to a cluster through its client
// Service, as applications do: one Put of a new key every writeInterval.
// It keeps every acknowledged write, to read them all back at the end.
type writer struct {
	prefix string
	client *clientv3.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	acks     []ack
	attempts int
	failed   int
	lastErr  error
	failures []failure
	stopped  time.Time
	report   *writeReport
}

// failure is one Put that was not acknowledged.
type failure struct {
	Start, At time.Time
	Err       string
}

// writeReport is what a writer saw, once stopped.
type writeReport struct {
	Prefix       string
	Attempts     int
	Acknowledged int
	Failed       int
	LastErr      error
	Acks         []ack
	Stopped      time.Time
	// GapMax is the longest time without an acknowledged write, between
	// two consecutive acknowledgements (or the last one and the stop):
	// the write-unavailability window an application saw.
	GapMax    time.Duration
	GapMaxEnd time.Time
}

// LastRevision is the revision of the last acknowledged write.
func (r writeReport) LastRevision() int64 {
	if len(r.Acks) == 0 {
		return 0
	}
	return r.Acks[len(r.Acks)-1].Revision
}

// gapIn is the longest interval without an acknowledged write (the last
// one ending at end) that overlaps [from, to]: what an application saw
// during that window.
func gapIn(acks []ack, end, from, to time.Time) time.Duration {
	var longest time.Duration
	for i := range acks {
		next := end
		if i+1 < len(acks) {
			next = acks[i+1].At
		}
		if next.Before(from) || acks[i].At.After(to) {
			continue
		}
		longest = max(longest, next.Sub(acks[i].At))
	}
	return longest
}

// clientServiceURL is the client URL of ec's client Service at its ClusterIP.
func clientServiceURL(ctx context.Context, t target) string {
	svc := &corev1.Service{}
	Expect(k8s.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Instance + "-client"}, svc)).To(Succeed())
	Expect(svc.Spec.ClusterIP).NotTo(BeEmpty())
	return clientURL(svc.Spec.ClusterIP)
}

// newAppClient is a long-lived client as an application would hold one:
// short dial timeout and, like internal/etcd/pool.go, a reconnect back-off
// of at most half a second instead of gRPC's two minutes, so that a
// connection to a member that went away is replaced at once.
func newAppClient(endpoints ...string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:            endpoints,
		DialTimeout:          time.Second,
		DialKeepAliveTime:    10 * time.Second, // etcd refuses pings more often than every 5 s
		DialKeepAliveTimeout: 2 * time.Second,
		Logger:               zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 500 * time.Millisecond},
			MinConnectTimeout: time.Second,
		})},
	})
}

// runningWithWriter creates an EtcdCluster called name with size members in
// a new namespace (prefix nsPrefix), waits for it to run and starts a
// writer on it under the prefix name.
func runningWithWriter(ctx context.Context, nsPrefix, name string, size int32, mutators ...func(*etcdv1alpha1.EtcdCluster)) (*etcdv1alpha1.EtcdCluster, target, *writer) {
	ec := newEtcdCluster(newNamespace(ctx, nsPrefix), name, size, mutators...)
	t := createCluster(ctx, ec)
	expectRunning(ctx, ec, statusBound)
	return ec, t, startWriter(ctx, t, name)
}

// startWriter starts writing to t through its client Service and returns
// once the first write is acknowledged. It is stopped when the spec ends
// if the spec did not stop it.
func startWriter(ctx context.Context, t target, prefix string) *writer {
	c, err := newAppClient(clientServiceURL(ctx, t))
	Expect(err).NotTo(HaveOccurred())
	wctx, cancel := context.WithCancel(context.Background())
	w := &writer{prefix: fmt.Sprintf("/e2e-writer/%s/", prefix), client: c, cancel: cancel, done: make(chan struct{})}
	go w.run(wctx)
	DeferCleanup(func() { w.Stop() })
	Eventually(ctx, func() int {
		w.mu.Lock()
		defer w.mu.Unlock()
		return len(w.acks)
	}).WithTimeout(30*time.Second).WithPolling(50*time.Millisecond).Should(BeNumerically(">", 0), "the writer's first acknowledged write")
	return w
}

func (w *writer) run(ctx context.Context) {
	defer close(w.done)
	for seq := 0; ; seq++ {
		start := time.Now()
		key, value := fmt.Sprintf("%s%08d", w.prefix, seq), fmt.Sprintf("v%d-%d", seq, start.UnixNano())
		pctx, cancel := context.WithTimeout(ctx, writeTimeout)
		resp, err := w.client.Put(pctx, key, value)
		cancel()
		at := time.Now()
		if ctx.Err() != nil {
			// Stopped during the call: neither acknowledged nor failed.
			return
		}
		w.mu.Lock()
		w.attempts++
		if err != nil {
			w.failed++
			w.lastErr = err
			w.failures = append(w.failures, failure{Start: start, At: at, Err: err.Error()})
		} else {
			w.acks = append(w.acks, ack{Key: key, Value: value, At: at, Revision: resp.Header.Revision})
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(writeInterval-time.Since(start), 0)):
		}
	}
}

// Stop stops writing and returns what the writer saw; it may be called
// again, with the same answer.
func (w *writer) Stop() writeReport {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.report != nil {
		return *w.report
	}
	_ = w.client.Close()
	w.stopped = time.Now()
	r := writeReport{Prefix: w.prefix, Attempts: w.attempts, Acknowledged: len(w.acks), Failed: w.failed, LastErr: w.lastErr, Acks: w.acks, Stopped: w.stopped}
	for i := range r.Acks {
		next := r.Stopped
		if i+1 < len(r.Acks) {
			next = r.Acks[i+1].At
		}
		if g := next.Sub(r.Acks[i].At); g > r.GapMax {
			r.GapMax, r.GapMaxEnd = g, next
		}
	}
	w.report = &r
	GinkgoWriter.Printf("writer %s: %d attempts, %d acknowledged, %d failed (last error: %v), longest gap %s ending %s\n",
		r.Prefix, r.Attempts, r.Acknowledged, r.Failed, r.LastErr, r.GapMax, r.GapMaxEnd.Format("15:04:05.000"))
	return r
}

// lostWrites reads every key under the writer's prefix back through
// endpoints (linearizable reads, retried) and returns the acknowledged
// writes that are missing or hold another value.
func lostWrites(ctx context.Context, endpoints []string, r writeReport) ([]string, error) {
	c, err := newAppClient(endpoints...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	var stored map[string]string
	err = InterceptGomegaFailure(func() {
		Eventually(ctx, func() error {
			var err error
			stored, err = readPrefix(ctx, c, r.Prefix)
			return err
		}).WithTimeout(verifyBound).WithPolling(500 * time.Millisecond).Should(Succeed())
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s back: %w", r.Prefix, err)
	}
	var lost []string
	for _, a := range r.Acks {
		if got, ok := stored[a.Key]; !ok {
			lost = append(lost, a.Key+" missing")
		} else if got != a.Value {
			lost = append(lost, fmt.Sprintf("%s holds %q, acknowledged %q", a.Key, got, a.Value))
		}
	}
	return lost, nil
}

// readPrefix reads every key under prefix, a page at a time, all pages at
// the first page's revision.
func readPrefix(ctx context.Context, c *clientv3.Client, prefix string) (map[string]string, error) {
	out := map[string]string{}
	end := clientv3.GetPrefixRangeEnd(prefix)
	from, rev := prefix, int64(0)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(2000), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := c.Get(cctx, from, opts...)
		cancel()
		if err != nil {
			return nil, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			out[string(kv.Key)] = string(kv.Value)
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return out, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// finishWriter stops w, records its report for the spec and checks, on
// etcd itself through t's client Service, that no acknowledged write was
// lost; then that all of st's members hold the same data at the last
// acknowledged revision.
func finishWriter(ctx context.Context, t target, w *writer) writeReport {
	r := w.Stop()
	Expect(r.Acknowledged).To(BeNumerically(">", 0), "the writer never got a write acknowledged")
	lost, err := lostWrites(ctx, []string{clientServiceURL(ctx, t)}, r)
	Expect(err).NotTo(HaveOccurred())
	recordWriter(r, len(lost))
	Expect(lost).To(BeEmpty(), "lost acknowledged writes (%d of %d acknowledged)", len(lost), r.Acknowledged)

	st := expectHealthy(ctx, t)
	rev := r.LastRevision()
	Eventually(ctx, func() (map[uint32][]string, error) {
		return hashesAt(ctx, st, rev)
	}).WithTimeout(30*time.Second).WithPolling(200*time.Millisecond).Should(HaveLen(1), "HashKV at revision %d differs between members", rev)
	return r
}

// awaitAckAfter waits until the writer has a write acknowledged after t:
// the application writes again after a disturbance the spec made itself.
func (w *writer) awaitAckAfter(ctx context.Context, t time.Time) {
	Eventually(ctx, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return len(w.acks) > 0 && w.acks[len(w.acks)-1].At.After(t)
	}).WithTimeout(30*time.Second).WithPolling(20*time.Millisecond).Should(BeTrue(), "a write acknowledged after %s", t.Format("15:04:05.000"))
}

// failuresIn are the failed Puts that ended within [from, to], as
// "+seconds since from (took seconds): error".
func (w *writer) failuresIn(from, to time.Time) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, f := range w.failures {
		if !f.At.Before(from) && !f.At.After(to) {
			out = append(out, fmt.Sprintf("+%.3f (took %.3f): %s", f.At.Sub(from).Seconds(), f.At.Sub(f.Start).Seconds(), f.Err))
		}
	}
	return out
}

// gapIn is the longest interval without an acknowledged write so far that
// overlaps [from, to]; one still open counts up to now.
func (w *writer) gapIn(from, to time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	end := w.stopped
	if end.IsZero() {
		end = time.Now()
	}
	return gapIn(w.acks, end, from, to)
}
