package controller

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
	"github.com/etcd-operator/etcd-operator/internal/maintenance"
	"github.com/etcd-operator/etcd-operator/internal/membership"
)

const (
	// maintenancePoll is how often a cluster whose maintenance action runs
	// is looked at: only to see whether it ended, which costs no request.
	maintenancePoll = time.Second
	// maintenanceRetry is how long a failed action waits to be tried again.
	maintenanceRetry = time.Minute
)

var (
	defaultMinDBSize = resource.MustParse("100Mi")
	defaultQuota     = resource.MustParse("2Gi")
)

// maintenancePolicy is what ec's spec asks of its databases' care at now.
// A window schedule admission let through but cron refuses (a minute of
// 99) turns defragmentation off, and is returned for an Event.
func maintenancePolicy(ec *etcdv1alpha1.EtcdCluster, now time.Time) (maintenance.Policy, error) {
	m := ec.Spec.Maintenance
	minSize, quota := defaultMinDBSize, defaultQuota
	if m.Defragmentation.MinDBSize != nil {
		minSize = *m.Defragmentation.MinDBSize
	}
	if q := ec.Spec.Tuning.QuotaBackendBytes; q != nil {
		quota = *q
	}
	freePercent := m.Defragmentation.MinFreePercent
	if freePercent <= 0 {
		freePercent = 45
	}
	defrag, err := m.Defragmentation.Mode != etcdv1alpha1.MaintenanceOff, error(nil)
	if w := m.Defragmentation.Window; w != nil && defrag {
		var window *maintenance.Window
		window, err = maintenance.ParseWindow(w.Schedule, w.Duration.Duration)
		defrag = err == nil && window.Open(now)
	}
	return maintenance.Policy{
		Defragment:     defrag,
		MinDBSize:      minSize.Value(),
		MinFreeRatio:   float64(freePercent) / 100,
		RecoverNoSpace: m.NoSpaceRecovery != etcdv1alpha1.MaintenanceOff,
		Quota:          quota.Value(),
	}, err
}

// maintainable is a pass after which database care may be done: a Running
// cluster, all its members voting, nothing changing and nothing failed.
func maintainable(p *pass, step membership.Step, o lifecycle.Observation, out outcome) bool {
	return !p.ec.Spec.Paused && p.cluster != nil && p.client != nil && p.foreignID == "" &&
		p.ec.Status.Phase == etcdv1alpha1.PhaseRunning && step.Action == membership.ActionNone &&
		!out.failed() && out.failure == nil && o.Failure == nil && !o.RolloutPending &&
		o.Replicas == o.Size && o.Voters == o.Size && o.Learners == 0
}

// maintain decides the pass's maintenance action and starts it off the
// reconcile path: a defragmentation takes minutes on a large database. It
// says whether one started, and what NOSPACE recovery is doing, for the
// Degraded condition.
func (r *EtcdClusterReconciler) maintain(ctx context.Context, p *pass, step membership.Step, o lifecycle.Observation, out outcome) (started bool, note string) {
	if !maintainable(p, step, o, out) {
		return false, ""
	}
	key := client.ObjectKeyFromObject(p.ec)
	policy, err := maintenancePolicy(p.ec, p.now)
	if err != nil {
		r.Recorder.Eventf(p.ec, nil, corev1.EventTypeWarning, etcdv1alpha1.ReasonMaintenanceFailed, "Defragment",
			"no defragmentation: spec.maintenance.defragmentation.window: %v", err)
	}
	d := maintenance.Next(p.cluster, policy, r.upkeep.history(key))
	if d.Blocked != "" {
		return false, d.Blocked
	}
	if d.Kind == maintenance.None {
		return false, ""
	}
	note = "the operator is recovering: " + d.Why
	run := r.maintenanceCall(p, d.Action)
	if run == nil || !r.upkeep.begin(key, time.Now()) {
		return false, note
	}
	logf.FromContext(ctx).Info("maintenance", "action", d.Kind, "why", d.Why)
	ec := p.ec.DeepCopy()
	r.upkeep.run(ctx, key, p.client, maintenanceTimeout(d.Action), run, func(took time.Duration, err error) {
		r.Metrics.Maintenance(key, string(d.Kind), took, err)
		if err != nil {
			r.Recorder.Eventf(ec, nil, corev1.EventTypeWarning, etcdv1alpha1.ReasonMaintenanceFailed, string(d.Kind),
				"%s failed after %s, tried again in %s: %v (%s)", d.Kind, took.Round(time.Millisecond), maintenanceRetry, err, d.Why)
			return
		}
		r.upkeep.record(key, d.Action)
		r.Recorder.Eventf(ec, nil, corev1.EventTypeNormal, doneReason[d.Kind], string(d.Kind),
			"%s in %s: %s", doneVerb(d.Action), took.Round(time.Millisecond), d.Why)
	})
	return true, note
}

// maintenanceTimeout bounds an action: while it runs the cluster is left
// alone, so a call that hangs must not hold it for long. A defragmentation
// takes about a second per 100 MiB; a minute per GiB is ample.
func maintenanceTimeout(a maintenance.Action) time.Duration {
	switch a.Kind {
	case maintenance.Defragment:
		return time.Minute + time.Duration(a.Member.DBSize>>30)*time.Minute
	case maintenance.Compact:
		return 2 * time.Minute
	}
	return 30 * time.Second
}

var doneReason = map[maintenance.Kind]string{
	maintenance.Compact:    etcdv1alpha1.ReasonCompacted,
	maintenance.MoveLeader: etcdv1alpha1.ReasonLeaderMoved,
	maintenance.Defragment: etcdv1alpha1.ReasonDefragmented,
	maintenance.Disarm:     etcdv1alpha1.ReasonAlarmDisarmed,
}

func doneVerb(a maintenance.Action) string {
	switch a.Kind {
	case maintenance.Compact:
		return fmt.Sprintf("compacted to revision %d", a.Revision)
	case maintenance.MoveLeader:
		return fmt.Sprintf("moved leadership from %s to %s", a.Member.Name, a.To.Name)
	case maintenance.Defragment:
		return "defragmented member " + a.Member.Name
	}
	return "disarmed the " + a.Alarm + " alarm"
}

// maintenanceCall is the etcd call that carries out a, nil when the
// member it needs cannot be reached.
func (r *EtcdClusterReconciler) maintenanceCall(p *pass, a maintenance.Action) func(context.Context, etcd.Client) error {
	switch a.Kind {
	case maintenance.Compact:
		return func(ctx context.Context, c etcd.Client) error {
			if err := c.Compact(ctx, a.Revision); err != nil {
				return err
			}
			// etcd counts the pages a compaction freed at the next commit
			// of each member's backend, and under NOSPACE no write makes
			// one: an entry through raft does.
			return c.Nudge(ctx)
		}
	case maintenance.MoveLeader:
		from := r.memberURL(p, a.Member.Name)
		if from == "" {
			return nil
		}
		return func(ctx context.Context, c etcd.Client) error { return c.MoveLeader(ctx, from, a.To.ID) }
	case maintenance.Defragment:
		at := r.memberURL(p, a.Member.Name)
		if at == "" {
			return nil
		}
		return func(ctx context.Context, c etcd.Client) error { return c.Defragment(ctx, at) }
	case maintenance.Disarm:
		return func(ctx context.Context, c etcd.Client) error { return c.Disarm(ctx, a.Alarm) }
	}
	return nil
}

// upkeep holds, per cluster, the maintenance action running off the
// reconcile path (at most one), when a failed one may be tried again, and
// the History of what was done. It is memory only: after a restart the
// operator decides again from what etcd reports, and a compaction to a
// revision already compacted is not an error.
type upkeep struct {
	mu    sync.Mutex
	state map[types.NamespacedName]*upkeepState
}

type upkeepState struct {
	running bool
	cancel  context.CancelFunc
	retryAt time.Time
	done    maintenance.History
}

func (u *upkeep) get(key types.NamespacedName) *upkeepState {
	if u.state == nil {
		u.state = map[types.NamespacedName]*upkeepState{}
	}
	s, ok := u.state[key]
	if !ok {
		s = &upkeepState{done: maintenance.History{Defragmented: map[uint64]int64{}}}
		u.state[key] = s
	}
	return s
}

// busy is true while an action of cluster key runs.
func (u *upkeep) busy(key types.NamespacedName) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	s, ok := u.state[key]
	return ok && s.running
}

// history is a copy of what was done to cluster key.
func (u *upkeep) history(key types.NamespacedName) maintenance.History {
	u.mu.Lock()
	defer u.mu.Unlock()
	s, ok := u.state[key]
	if !ok {
		return maintenance.History{}
	}
	return maintenance.History{Compacted: s.done.Compacted, Defragmented: maps.Clone(s.done.Defragmented)}
}

// record adds a done action to cluster key's history.
func (u *upkeep) record(key types.NamespacedName, a maintenance.Action) {
	u.mu.Lock()
	defer u.mu.Unlock()
	s, ok := u.state[key]
	if !ok {
		return // forgotten: the cluster is gone
	}
	switch a.Kind {
	case maintenance.Compact:
		s.done.Compacted = a.Revision
	case maintenance.Defragment:
		s.done.Defragmented[a.Member.ID] = s.done.Compacted
	}
}

// begin marks an action of key as running, false when one runs or a
// failed one waits for its retry.
func (u *upkeep) begin(key types.NamespacedName, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.get(key)
	if s.running || now.Before(s.retryAt) {
		return false
	}
	s.running = true
	return true
}

// run calls f with c in its own goroutine, detached from the reconcile
// (which returns at once) but canceled by forget, then done with how long
// it took and its error; a failure holds the next action back for
// maintenanceRetry.
func (u *upkeep) run(ctx context.Context, key types.NamespacedName, c etcd.Client, timeout time.Duration,
	f func(context.Context, etcd.Client) error, done func(time.Duration, error)) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	u.mu.Lock()
	u.get(key).cancel = cancel
	u.mu.Unlock()
	go func() {
		defer cancel()
		start := time.Now()
		err := f(ctx, c)
		took := time.Since(start)
		done(took, err)
		u.mu.Lock()
		defer u.mu.Unlock()
		s, ok := u.state[key]
		if !ok {
			return // forgotten: the cluster is gone
		}
		s.running, s.cancel = false, nil
		if err != nil {
			s.retryAt = time.Now().Add(maintenanceRetry)
		}
	}()
}

// forget cancels cluster key's running action and drops what is held.
func (u *upkeep) forget(key types.NamespacedName) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if s, ok := u.state[key]; ok && s.cancel != nil {
		s.cancel()
	}
	delete(u.state, key)
}
