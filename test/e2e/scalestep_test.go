//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
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
	probe   *prober
	members map[uint64]*memberTimes
	initial map[uint64]bool
}

// newTracker takes a first look at t: the members there now are the
// initial ones. Its connections are closed when the spec ends.
func newTracker(ctx context.Context, t target) *tracker {
	tr := &tracker{t: t, probe: newProber(), members: map[uint64]*memberTimes{}, initial: map[uint64]bool{}}
	DeferCleanup(tr.probe.close)
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
	st, err := tr.probe.observe(ctx, tr.t)
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
	listed := map[uint64]bool{}
	for _, m := range st.List {
		listed[m.ID] = true
		mt := tr.members[m.ID]
		if mt == nil {
			mt = &memberTimes{ID: m.ID, Listed: now}
			tr.members[m.ID] = mt
		}
		mt.Name = memberName(m)
		if pm := st.member(mt.Name); mt.Answered.IsZero() && pm.Err == nil && pm.ID() == m.ID {
			mt.Answered = now
		}
		if !m.IsLearner && mt.Voter.IsZero() {
			mt.Voter = now
		}
		if !mt.Voter.IsZero() && mt.Healthy.IsZero() && healthyVoter(st.member(mt.Name), m.ID) {
			mt.Healthy = now
		}
	}
	for id, mt := range tr.members {
		if !listed[id] && mt.Gone.IsZero() {
			mt.Gone = now
		}
	}
}

// prober looks at a cluster as target.observe does, every 100 ms, but
// through one long-lived connection per pod IP: clientv3's Status dials a
// new connection on every call, and dozens of dials a second on two cores
// would slow down what is measured.
type prober struct {
	mu      sync.Mutex
	clients map[string]*clientv3.Client
}

func newProber() *prober { return &prober{clients: map[string]*clientv3.Client{}} }

// client is the connection to the member at ip. Its reconnect back-off is
// capped at 100 ms so that a member that starts listening is seen at once.
func (p *prober) client(ip string) (*clientv3.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[ip]; ok {
		return c, nil
	}
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{clientURL(ip)},
		DialTimeout: dialTimeout,
		Logger:      zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 20 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 100 * time.Millisecond},
			MinConnectTimeout: dialTimeout,
		})},
	})
	if err != nil {
		return nil, err
	}
	p.clients[ip] = c
	return c, nil
}

func (p *prober) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ip, c := range p.clients {
		_ = c.Close()
		delete(p.clients, ip)
	}
}

// observe is target.observe through the prober's connections.
func (p *prober) observe(ctx context.Context, t target) (clusterState, error) {
	pods, err := t.livePods(ctx)
	if err != nil {
		return clusterState{}, err
	}
	st := clusterState{Members: make([]memberState, len(pods))}
	var wg sync.WaitGroup
	for i, pod := range pods {
		st.Members[i] = memberState{Pod: pod.Name, PodUID: pod.UID, IP: pod.Status.PodIP}
		wg.Go(func() {
			m := &st.Members[i]
			m.Status, m.Err = p.status(ctx, m.IP)
		})
	}
	wg.Wait()
	st.ListErr = errors.New("no member answered")
	for _, m := range st.Members {
		if m.Err == nil {
			st.List, st.ListErr = p.memberList(ctx, m.IP)
			break
		}
	}
	return st, nil
}

func (p *prober) status(ctx context.Context, ip string) (*clientv3.StatusResponse, error) {
	if ip == "" {
		return nil, errors.New("no pod IP yet")
	}
	c, err := p.client(ip)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := pb.NewMaintenanceClient(c.ActiveConnection()).Status(cctx, &pb.StatusRequest{})
	if err != nil {
		return nil, err
	}
	return (*clientv3.StatusResponse)(resp), nil
}

func (p *prober) memberList(ctx context.Context, ip string) ([]*pb.Member, error) {
	c, err := p.client(ip)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := c.MemberList(cctx)
	if err != nil {
		return nil, err
	}
	return resp.Members, nil
}

// healthyVoter is true when the pod's etcd answered as member id, a voter
// that knows a leader, without errors.
func healthyVoter(m memberState, id uint64) bool {
	return m.Err == nil && m.Status != nil && m.ID() == id && !m.Status.IsLearner && m.Status.Leader != 0 && len(m.Status.Errors) == 0
}

// memberName is the member's name, or for a member that never started the
// pod its peer URL names (<pod>.<peer service>...).
func memberName(m *pb.Member) string {
	if m.Name != "" {
		return m.Name
	}
	for _, u := range m.PeerURLs {
		if p, err := url.Parse(u); err == nil {
			return strings.SplitN(p.Hostname(), ".", 2)[0]
		}
	}
	return hexID(m.ID)
}

// scaleTo sets ec's size to `to` and measures, while the writer w runs,
// until phase Running with readyMembers == size and `to` healthy voters in
// etcd; it records the step with each added and removed member's time.
func scaleTo(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, w *writer, to int32) stepTiming {
	got, err := fetchCluster(ctx, ec)
	Expect(err).NotTo(HaveOccurred())
	from := got.Spec.Size
	t := targetOf(ec)
	t.Size = int(to)
	tr := newTracker(ctx, t)
	defer tr.probe.close()
	s := stepTiming{Name: fmt.Sprintf("%d->%d", from, to), From: from, To: to, EtcdVersion: got.Spec.Version, BoundSeconds: scaleBound.Seconds()}

	t0 := time.Now()
	Expect(updateCluster(ctx, ec, func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = to })).To(Succeed())
	got, err = fetchCluster(ctx, ec)
	Expect(err).NotTo(HaveOccurred())
	gen := got.Generation

	done, lastErr := tr.until(ctx, t0, scaleBound, func(st clusterState) error {
		got, err := fetchCluster(ctx, ec)
		if err == nil {
			s.StatusTrail = noteStatus(s.StatusTrail, time.Since(t0), got)
		}
		if err := st.healthy(int(to)); err != nil {
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
	s.WriteGapMaxSeconds = w.gapIn(t0, end).Seconds()
	s.FailedWrites = w.failuresIn(t0, end)
	s.Added, s.Removed = tr.added(t0), tr.removed(t0)
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
		want["data-"+t.podName(i)] = true
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
	got, err := fetchCluster(ctx, ec)
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
		mt := memberTiming{Member: m.Name, ID: hexID(m.ID), From: from.Sub(t0).Seconds(), Listed: since(t0, m.Listed), Answered: since(t0, m.Answered), Promoted: since(t0, m.Voter), Done: since(t0, m.Healthy)}
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
		out = append(out, memberTiming{Member: m.Name, ID: hexID(m.ID), From: from.Sub(t0).Seconds(), Done: since(t0, m.Gone), Seconds: seconds(m.Gone.Sub(from))})
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
