//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

const (
	// trackInterval is the pause between two looks at etcd's member list
	// and the members' status while a step is measured.
	trackInterval = 100 * time.Millisecond
	scaleBound    = 3 * time.Minute
)

// memberTimes is when the suite first saw a member in etcd's member list,
// as a voter, as a healthy voter, and when it was gone from the list.
type memberTimes struct {
	Name                                   string
	ID                                     uint64
	Listed, Answered, Voter, Healthy, Gone time.Time
}

// tracker follows etcd's members, by ID (a replaced member keeps its name
// under a new ID), through repeated looks at t.
type tracker struct {
	t       target
	probe   *framework.Observer
	members map[uint64]*memberTimes
	initial map[uint64]bool
	// looks are the membership seen at each look with a member list.
	looks []framework.Look
}

// newTracker takes a first look at t: the members there now are the
// initial ones. Its connections are closed when the spec ends.
func newTracker(ctx context.Context, t target) *tracker {
	tr := &tracker{t: t, probe: fw.PooledObserver(), members: map[uint64]*memberTimes{}, initial: map[uint64]bool{}}
	DeferCleanup(tr.probe.Close)
	Eventually(ctx, func() error {
		st, err := tr.look(ctx)
		if err != nil {
			return err
		}
		return st.ListErr
	}).WithTimeout(healthyBound).WithPolling(trackInterval).Should(Succeed(), "etcd's member list of %s/%s", t.Namespace, t.Instance)
	for id := range tr.members {
		tr.initial[id] = true
	}
	return tr
}

// look observes t once and updates the members' times.
func (tr *tracker) look(ctx context.Context) (clusterState, error) {
	st, err := tr.probe.Observe(ctx, tr.t)
	if err != nil {
		return st, err
	}
	if st.ListErr == nil {
		tr.note(st, time.Now())
	}
	return st, nil
}

// note updates the members' times from st, whose member list was read at now.
func (tr *tracker) note(st clusterState, now time.Time) {
	tr.looks = append(tr.looks, st.Look(now))
	listed := map[uint64]bool{}
	for _, m := range st.List {
		listed[m.ID] = true
		mt := tr.members[m.ID]
		if mt == nil {
			mt = &memberTimes{ID: m.ID, Listed: now}
			tr.members[m.ID] = mt
		}
		mt.Name = tr.t.MemberName(m)
		if pm := st.Member(mt.Name); mt.Answered.IsZero() && pm.Err == nil && pm.ID() == m.ID {
			mt.Answered = now
		}
		if !m.IsLearner && mt.Voter.IsZero() {
			mt.Voter = now
		}
		if !mt.Voter.IsZero() && mt.Healthy.IsZero() && st.Member(mt.Name).HealthyVoter(m.ID) {
			mt.Healthy = now
		}
	}
	for id, mt := range tr.members {
		if !listed[id] && mt.Gone.IsZero() {
			mt.Gone = now
		}
	}
}

// scaleTo sets ec's size to `to` and measures, while the writer w runs,
// until phase Running with readyMembers == size and `to` healthy voters in
// etcd; it records the step with each added and removed member's time.
func scaleTo(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, w *writer, to int32) stepTiming {
	got, err := fw.FetchCluster(ctx, ec)
	Expect(err).NotTo(HaveOccurred())
	from := got.Spec.Size
	t := targetOf(ec)
	t.Size = int(to)
	tr := newTracker(ctx, t)
	defer tr.probe.Close()
	s := stepTiming{Name: fmt.Sprintf("%d->%d", from, to), From: from, To: to, EtcdVersion: got.Spec.Version, BoundSeconds: scaleBound.Seconds()}

	t0 := time.Now()
	Expect(updateCluster(ctx, ec, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = to })).To(Succeed())
	got, err = fw.FetchCluster(ctx, ec)
	Expect(err).NotTo(HaveOccurred())
	gen := got.Generation

	done, lastErr := tr.until(ctx, t0, scaleBound, func(st clusterState) error {
		got, err := fw.FetchCluster(ctx, ec)
		if err == nil {
			s.StatusTrail = noteStatus(s.StatusTrail, time.Since(t0), got)
		}
		if err := st.Healthy(int(to)); err != nil {
			return err
		}
		return runningAt(ctx, ec, gen, to)
	})
	end := done
	if done.IsZero() {
		end = time.Now()
	} else {
		s.Seconds = seconds(done.Sub(t0))
	}
	s.WriteGapMaxSeconds = w.GapIn(t0, end).Seconds()
	s.FailedWrites = w.FailuresIn(t0, end)
	s.Added, s.Removed = tr.added(t0), tr.removed(t0)
	s.Looks = tr.looks
	for i := range s.Added {
		noteJoin(ctx, t, &s.Added[i])
	}
	recordStep(s)
	Expect(lastErr).NotTo(HaveOccurred(), "scaling %s/%s %s: not Running with %d healthy members within %s", ec.Namespace, ec.Name, s.Name, to, scaleBound)
	return s
}

// noteStatus appends ec's status to trail when it differs from the last note.
func noteStatus(trail []statusNote, at time.Duration, ec *etcdv1alpha1.EtcdCluster) []statusNote {
	note := fmt.Sprintf("gen %d/%d %s ready %d", ec.Status.ObservedGeneration, ec.Generation, ec.Status.Phase, ec.Status.ReadyMembers)
	if c := meta.FindStatusCondition(ec.Status.Conditions, etcdv1alpha1.ConditionProgressing); c != nil {
		note += fmt.Sprintf("; Progressing=%s %s: %s", c.Status, c.Reason, c.Message)
	}
	for _, m := range ec.Status.Members {
		if !m.Healthy || m.Learner {
			note += fmt.Sprintf("; %s learner=%v lag=%d %s", m.Name, m.Learner, m.RaftIndexLag, strings.Join(m.Errors, ", "))
		}
	}
	if len(trail) > 0 && trail[len(trail)-1].Note == note {
		return trail
	}
	return append(trail, statusNote{Seconds: at.Seconds(), Note: note})
}

// awaitRemovedClaims waits until only the claims of ordinals below ec's
// size are left, and records how long that took after the scale-down
// step was done: a removed member's data must not outlive it.
func awaitRemovedClaims(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, size int32) {
	t := targetOf(ec)
	want := map[string]bool{}
	for i := range int(size) {
		want[t.Claim(t.PodName(i))] = true
	}
	t0 := time.Now()
	secs, err := measure(ctx, t0, goneBound, func(ctx context.Context) error {
		claims, err := allClaims(ctx, t)
		if err != nil {
			return err
		}
		if got := claimNames(claims); !equalSets(got, want) {
			return fmt.Errorf("claims %v, want %v", got, want)
		}
		return nil
	})
	recordMeasurement(scaleDownClaimsDeleted, secs, goneBound)
	Expect(err).NotTo(HaveOccurred(), "the removed members' claims of %s/%s", t.Namespace, t.Instance)
}

func equalSets(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// until looks at the cluster every trackInterval until check passes or
// bound (from t0) runs out; it returns when the passing look ended, zero
// and the last error otherwise.
func (tr *tracker) until(ctx context.Context, t0 time.Time, bound time.Duration, check func(clusterState) error) (time.Time, error) {
	var lastErr error
	for {
		start := time.Now()
		st, err := tr.look(ctx)
		if err == nil {
			err = check(st)
		}
		if err == nil {
			return time.Now(), nil
		}
		lastErr = err
		if time.Since(t0) > bound {
			return time.Time{}, fmt.Errorf("not within %s: %w", bound, lastErr)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("%w (last: %w)", ctx.Err(), lastErr)
		case <-time.After(max(trackInterval-time.Since(start), 0)):
		}
	}
}

// runningAt is nil when ec's status, for generation gen or later, says
// Running with size ready members.
func runningAt(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, gen int64, size int32) error {
	got, err := fw.FetchCluster(ctx, ec)
	switch {
	case err != nil:
		return err
	case got.Status.ObservedGeneration < gen:
		return fmt.Errorf("status is of generation %d, want %d", got.Status.ObservedGeneration, gen)
	case got.Status.Phase != etcdv1alpha1.PhaseRunning:
		return fmt.Errorf("phase %s", got.Status.Phase)
	case got.Status.ReadyMembers != size:
		return fmt.Errorf("readyMembers %d, want %d", got.Status.ReadyMembers, size)
	}
	return nil
}

// added are the members that were not there at the start and are healthy
// voters now, in the order they became voters; each one's clock starts
// when the previous one was promoted (the first one's at t0).
func (tr *tracker) added(t0 time.Time) []memberTiming {
	var ms []*memberTimes
	for id, m := range tr.members {
		if !tr.initial[id] && m.Gone.IsZero() {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Listed.Before(ms[j].Listed) })
	out := make([]memberTiming, 0, len(ms))
	from := t0
	for _, m := range ms {
		mt := memberTiming{Member: m.Name, ID: etcdstate.HexID(m.ID), From: from.Sub(t0).Seconds(), Listed: since(t0, m.Listed), Answered: since(t0, m.Answered), Promoted: since(t0, m.Voter), Done: since(t0, m.Healthy)}
		if !m.Healthy.IsZero() {
			mt.Seconds = seconds(m.Healthy.Sub(from))
		}
		out = append(out, mt)
		if !m.Voter.IsZero() {
			from = m.Voter
		}
	}
	return out
}

// removed are the initial members that are gone from the member list, in
// the order they went; each one's clock starts when the previous one went
// (the first one's at t0).
func (tr *tracker) removed(t0 time.Time) []memberTiming {
	var ms []*memberTimes
	for id, m := range tr.members {
		if tr.initial[id] && !m.Gone.IsZero() {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Gone.Before(ms[j].Gone) })
	out := make([]memberTiming, 0, len(ms))
	from := t0
	for _, m := range ms {
		out = append(out, memberTiming{Member: m.Name, ID: etcdstate.HexID(m.ID), From: from.Sub(t0).Seconds(), Done: since(t0, m.Gone), Seconds: seconds(m.Gone.Sub(from))})
		from = m.Gone
	}
	return out
}

// since is the seconds from t0 to at, nil when at never happened.
func since(t0, at time.Time) *float64 {
	if at.IsZero() {
		return nil
	}
	return seconds(at.Sub(t0))
}

// noteJoin reads from the added member's etcd log how it joined: a member
// sent a snapshot that already holds its own publish never sees that
// request applied, and serves clients only after etcd's request timeout.
func noteJoin(ctx context.Context, t target, m *memberTiming) {
	limit := int64(8 << 20)
	raw, err := clientset.CoreV1().Pods(t.Namespace).GetLogs(m.Member, &corev1.PodLogOptions{LimitBytes: &limit}).DoRaw(ctx)
	if err != nil {
		return
	}
	log := string(raw)
	snapshot := strings.Contains(log, "applied incoming Raft snapshot")
	retried := strings.Contains(log, "failed to publish local member to cluster through raft")
	m.SnapshotJoin, m.PublishRetried = &snapshot, &retried
}
