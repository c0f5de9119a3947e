//go:build e2e || olm

package framework

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// writeInterval is how often the writer starts a Put.
	writeInterval = 20 * time.Millisecond
	// writeTimeout bounds one Put: a longer stall counts as a failed attempt.
	writeTimeout = time.Second
	// verifyBound bounds reading every acknowledged key back.
	verifyBound = time.Minute
)

// Ack is one write that etcd acknowledged.
type Ack struct {
	Key, Value string
	At         time.Time
	Revision   int64
}

// Writer is an application writing to a cluster through its client
// Service, as applications do: one Put of a new key every writeInterval.
// It keeps every acknowledged write, to read them all back at the end.
type Writer struct {
	prefix string
	client *clientv3.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	acks     []Ack
	attempts int
	failed   int
	lastErr  error
	failures []failure
	stopped  time.Time
	report   *WriteReport
}

// failure is one Put that was not acknowledged.
type failure struct {
	Start, At time.Time
	Err       string
}

// WriteReport is what a writer saw, once stopped.
type WriteReport struct {
	Prefix       string
	Attempts     int
	Acknowledged int
	Failed       int
	LastErr      error
	Acks         []Ack
	Stopped      time.Time
	// GapMax is the longest time without an acknowledged write, between
	// two consecutive acknowledgements (or the last one and the stop):
	// the write-unavailability window an application saw.
	GapMax    time.Duration
	GapMaxEnd time.Time
}

// LastRevision is the revision of the last acknowledged write.
func (r WriteReport) LastRevision() int64 {
	if len(r.Acks) == 0 {
		return 0
	}
	return r.Acks[len(r.Acks)-1].Revision
}

// gapIn is the longest interval without an acknowledged write (the last
// one ending at end) that overlaps [from, to]: what an application saw
// during that window.
func gapIn(acks []Ack, end, from, to time.Time) time.Duration {
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

// StartWriter starts writing to t through its client Service and returns
// once the first write is acknowledged. It is stopped when the spec ends
// if the spec did not stop it.
func (f *Framework) StartWriter(ctx context.Context, t Target, prefix string) *Writer {
	d, err := f.DialerOf(ctx, t)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	c, err := d.NewApp(f.ClientServiceURL(ctx, t))
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	wctx, cancel := context.WithCancel(context.Background())
	w := &Writer{prefix: fmt.Sprintf("/e2e-writer/%s/", prefix), client: c, cancel: cancel, done: make(chan struct{})}
	go w.run(wctx)
	ginkgo.DeferCleanup(func() { w.Stop() })
	gomega.Eventually(ctx, func() int {
		w.mu.Lock()
		defer w.mu.Unlock()
		return len(w.acks)
	}).WithTimeout(30*time.Second).WithPolling(50*time.Millisecond).Should(gomega.BeNumerically(">", 0), "the writer's first acknowledged write")
	return w
}

func (w *Writer) run(ctx context.Context) {
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
			w.acks = append(w.acks, Ack{Key: key, Value: value, At: at, Revision: resp.Header.Revision})
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
func (w *Writer) Stop() WriteReport {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.report != nil {
		return *w.report
	}
	_ = w.client.Close()
	w.stopped = time.Now()
	r := WriteReport{Prefix: w.prefix, Attempts: w.attempts, Acknowledged: len(w.acks), Failed: w.failed, LastErr: w.lastErr, Acks: w.acks, Stopped: w.stopped}
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
	ginkgo.GinkgoWriter.Printf("writer %s: %d attempts, %d acknowledged, %d failed (last error: %v), longest gap %s ending %s\n",
		r.Prefix, r.Attempts, r.Acknowledged, r.Failed, r.LastErr, r.GapMax, r.GapMaxEnd.Format("15:04:05.000"))
	return r
}

// AwaitAckAfter waits until the writer has a write acknowledged after t:
// the application writes again after a disturbance the spec made itself.
func (w *Writer) AwaitAckAfter(ctx context.Context, t time.Time) {
	gomega.Eventually(ctx, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return len(w.acks) > 0 && w.acks[len(w.acks)-1].At.After(t)
	}).WithTimeout(30*time.Second).WithPolling(20*time.Millisecond).Should(gomega.BeTrue(), "a write acknowledged after %s", t.Format("15:04:05.000"))
}

// FailuresIn are the failed Puts that ended within [from, to], as
// "+seconds since from (took seconds): error".
func (w *Writer) FailuresIn(from, to time.Time) []string {
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

// GapIn is the longest interval without an acknowledged write so far that
// overlaps [from, to]; one still open counts up to now.
func (w *Writer) GapIn(from, to time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	end := w.stopped
	if end.IsZero() {
		end = time.Now()
	}
	return gapIn(w.acks, end, from, to)
}

// ClientServiceURL is the client URL of t's client Service at its ClusterIP.
func (f *Framework) ClientServiceURL(ctx context.Context, t Target) string {
	svc := &corev1.Service{}
	gomega.Expect(f.K8s.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Resources().ClientService()}, svc)).To(gomega.Succeed())
	gomega.Expect(svc.Spec.ClusterIP).NotTo(gomega.BeEmpty())
	return t.Resources().PodClientURL(svc.Spec.ClusterIP)
}
