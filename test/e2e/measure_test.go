//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// measure polls check every pollInterval until it passes or bound (counted
// from t0) runs out, without failing the spec: it returns the seconds from
// t0 to the end of the first passing check, or nil and the last error.
func measure(ctx context.Context, t0 time.Time, bound time.Duration, check func(context.Context) error) (*float64, error) {
	var done time.Time
	fail := InterceptGomegaFailure(func() {
		Eventually(ctx, func(ctx context.Context) error {
			if err := check(ctx); err != nil {
				return err
			}
			done = time.Now()
			return nil
		}).WithTimeout(max(bound-time.Since(t0), pollInterval)).WithPolling(pollInterval).Should(Succeed())
	})
	if done.IsZero() {
		if fail == nil {
			fail = errors.New("no passing check")
		}
		return nil, fmt.Errorf("not within %s: %w", bound, fail)
	}
	s := done.Sub(t0).Seconds()
	return &s, nil
}

// awaitCreated measures, from t0 (the apply), the time until ec's phase is
// Running and the time until all its members are healthy in etcd.
func awaitCreated(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, t0 time.Time, bound time.Duration) (running, healthy *float64, err error) {
	t := targetOf(ec)
	_, err = measure(ctx, t0, bound, func(ctx context.Context) error {
		var unhealthy error
		if healthy == nil {
			st, err := fw.Observe(ctx, t)
			if unhealthy = err; err == nil {
				unhealthy = st.Healthy(t.Size)
			}
			if unhealthy == nil {
				healthy = seconds(time.Since(t0))
			}
		}
		if running == nil {
			got, err := fw.FetchCluster(ctx, ec)
			if err == nil && got.Status.Phase == etcdv1alpha1.PhaseRunning {
				running = seconds(time.Since(t0))
			}
		}
		switch {
		case healthy == nil:
			return fmt.Errorf("not all healthy: %w", unhealthy)
		case running == nil:
			return errors.New("healthy in etcd but phase not Running yet")
		}
		return nil
	})
	return running, healthy, err
}

// awaitRecovered measures, from t0 (a deletion), the time until each pod
// in replaced runs again as a new pod and all t's members are healthy.
// seen, when not nil, is given every look at the cluster.
func awaitRecovered(ctx context.Context, t target, t0 time.Time, bound time.Duration, replaced map[string]types.UID, seen func(clusterState)) (*float64, clusterState, error) {
	var last clusterState
	secs, err := measure(ctx, t0, bound, func(ctx context.Context) error {
		st, err := fw.Observe(ctx, t)
		if err != nil {
			return err
		}
		last = st
		if seen != nil {
			seen(st)
		}
		for pod, old := range replaced {
			if m := st.Member(pod); m.PodUID == "" || m.PodUID == old {
				return fmt.Errorf("pod %s not recreated yet", pod)
			}
		}
		return st.Healthy(t.Size)
	})
	return secs, last, err
}

func seconds(d time.Duration) *float64 {
	s := d.Seconds()
	return &s
}

// podLoss is one deletion of a member pod and what followed.
type podLoss struct {
	Victim  memberState       // the member whose pod was deleted
	Data    map[string]string // keys written just before
	Before  clusterState
	After   clusterState
	Seconds *float64 // deletion -> all healthy again; nil when not within the bound
	Err     error
}

// loseFollower writes a few keys to healthy t, deletes the pod of its
// round-th follower (round-robin) and measures until all members are
// healthy again, the deleted pod recreated.
func loseFollower(ctx context.Context, t target, round int, bound time.Duration) podLoss {
	before := fw.ExpectHealthy(ctx, t)
	kvs, _ := dialerOf(ctx, t).PutKeys(ctx, before.Endpoints(), fmt.Sprintf("round-%d", round), 5)
	followers := before.Followers()
	Expect(followers).NotTo(BeEmpty())
	victim := followers[round%len(followers)]
	t0 := deletePod(ctx, t.Namespace, victim.Pod)
	secs, after, err := awaitRecovered(ctx, t, t0, bound, podUIDs(before, victim.Pod), nil)
	return podLoss{Victim: victim, Data: kvs, Before: before, After: after, Seconds: secs, Err: err}
}
