// Package controller reconciles EtcdCluster objects. One reconcile is four
// phases over one pass (observe.go): observe reads the StatefulSet, pods,
// claims and etcd's member list once; decide is pure (decide.go: the
// membership step from internal/membership); act carries out that one
// step (members.go) and applies the chart rendered for the membership that
// holds; report writes status once, only when it changed (status.go).
// Deletion is delete.go. etcd is reached only through the etcd.Dialer seam,
// and members only at the addresses resources.Network gives.
package controller

import (
	"context"
	"errors"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/apply"
	"github.com/etcd-operator/etcd-operator/internal/chart"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
	"github.com/etcd-operator/etcd-operator/internal/membership"
	"github.com/etcd-operator/etcd-operator/internal/metrics"
	"github.com/etcd-operator/etcd-operator/internal/resources"
	"github.com/etcd-operator/etcd-operator/internal/values"
)

// Requeue intervals: etcd's health is not a Kubernetes object, so it is
// polled; fast while something is changing, slow once all is well.
const (
	progressRequeue = 2 * time.Second
	// stepRequeue is the poll while a member is being added or removed: a
	// learner is promoted, and the next member added, within a tick of
	// being ready. Each poll is a member list and one status per member.
	stepRequeue     = 500 * time.Millisecond
	failedRequeue   = 5 * time.Second
	conflictRequeue = 200 * time.Millisecond
	// DefaultSettledPoll is how often a settled, healthy cluster is asked
	// for its health. Pod and StatefulSet changes trigger a reconcile at
	// once: the poll only finds what etcd alone knows (a member's alarm, an
	// unhealthy member in a ready pod). Each poll is jittered by up to
	// settledJitter of it, so that clusters created together, or all
	// enqueued by an operator restart, do not poll in step.
	DefaultSettledPoll = 30 * time.Second
	settledJitter      = 0.2
	// A membership step etcd refuses is retried from stepRequeue, doubling
	// up to maxStepBackoff.
	maxStepBackoff = 30 * time.Second
)

// EtcdClusterReconciler reconciles EtcdCluster objects.
type EtcdClusterReconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// APIReader reads from the API server, for objects the cache does not
	// hold (those without the operator's label).
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Renderer  *chart.Cache
	Recorder  events.EventRecorder
	// Etcd is the seam to etcd: the reconciler holds nothing else of it.
	Etcd etcd.Dialer
	// Network says where members are reached.
	Network resources.Network
	// ClusterDomain is the Kubernetes DNS domain, for member URLs.
	ClusterDomain string
	// SettledPoll is the health poll of a settled cluster; 0 is
	// DefaultSettledPoll.
	SettledPoll time.Duration
	// Metrics counts what the reconciler does; nil counts nothing.
	Metrics *metrics.Recorder
	// AgentImage is the operator's own image, whose agent restores the
	// members of a cluster bootstrapped from a backup.
	AgentImage string

	quorum    quorumWatch
	stepRetry stepRetry
	upkeep    upkeep
	clientTLS clientTLS
	certCache certCache
}

// Reconcile moves one EtcdCluster one step towards its spec. It never waits
// for etcd or Kubernetes to change: it requeues instead.
func (r *EtcdClusterReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ec := &etcdv1alpha1.EtcdCluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, ec); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	if !ec.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, r.finalize(ctx, ec)
	}
	if err := r.addFinalizer(ctx, ec); err != nil {
		return reconcile.Result{}, err
	}
	if r.upkeep.busy(req.NamespacedName) {
		// A maintenance action runs (a defragmentation stops its member
		// serving): nothing else is done to the cluster until it ends.
		return reconcile.Result{RequeueAfter: maintenancePoll}, nil
	}

	p, err := r.observe(ctx, ec)
	if err != nil {
		r.Metrics.ReconcileError(req.NamespacedName, reasonObserveFailed)
		return reconcile.Result{}, err
	}
	step := decide(p)
	out := r.act(ctx, p, step)
	obs := observation(p, step, out, func(o lifecycle.Observation) time.Duration {
		return r.quorum.missingFor(ec, o, time.Now())
	})
	started, note := r.maintain(ctx, p, step, obs, out)
	obs.AlarmNote = note
	if reason := failureReason(out); reason != "" {
		r.Metrics.ReconcileError(req.NamespacedName, reason)
	}
	if err := r.report(ctx, p, obs, out); err != nil {
		if apierrors.IsConflict(err) {
			// Read from a cache that had not seen our last write yet.
			return reconcile.Result{RequeueAfter: conflictRequeue}, nil
		}
		r.Metrics.ReconcileError(req.NamespacedName, reasonStatusFailed)
		return reconcile.Result{}, err
	}
	res := requeue(ec.Status.Phase, obs, step, r.settledPoll())
	if note != "" && res.RequeueAfter > failedRequeue {
		// A NOSPACE alarm refuses every write: the keys a person deletes
		// are seen within seconds, not at the next settled poll.
		res.RequeueAfter = failedRequeue
	}
	if p.upgrade.Waits && res.RequeueAfter > failedRequeue {
		// The refused upgrade lifts by itself as the raft logs move on.
		res.RequeueAfter = failedRequeue
	}
	if clusterVersionBehind(p) && res.RequeueAfter > progressRequeue {
		// etcd raises the cluster version seconds after the last member
		// moved: status follows within a tick, not a settled poll.
		res.RequeueAfter = progressRequeue
	}
	switch {
	case started:
		// Its client stays open: the action runs on it.
		res.RequeueAfter = maintenancePoll
	case settled(ec.Status.Phase, obs, step):
		// Not asked again for a settled poll: the connection is closed
		// rather than held (a thousand idle clusters would hold a thousand
		// connections and their goroutines); the next poll dials again,
		// which costs less than a member's status call, a dial of its own.
		r.Etcd.Forget(req.NamespacedName)
	}
	if out.stepErr != nil {
		res.RequeueAfter = r.stepRetry.failed(ctx, req.NamespacedName, out.stepErr)
	} else {
		r.stepRetry.succeeded(req.NamespacedName)
	}
	return res, out.applyErr
}

// act carries out the decided step, then renders the chart for the
// membership that holds (the step's if it was done, the current one if
// not) and applies it. A paused cluster is left as it is.
func (r *EtcdClusterReconciler) act(ctx context.Context, p *pass, step membership.Step) outcome {
	var out outcome
	if p.ec.Spec.Paused {
		return out
	}
	if out.failure, out.applyErr = r.certificates(ctx, p); out.failure != nil || out.applyErr != nil {
		return out
	}
	if out.failure = r.restoreSource(ctx, p); out.failure != nil {
		return out
	}
	rendered := step.Membership
	if out.stepErr = r.execute(ctx, p, step); out.stepErr != nil {
		// The step is retried from the member list on the next pass;
		// render what etcd has now, not what the step would give.
		rendered = step.Current
	}
	out.failure, out.applyErr = r.renderAndApply(ctx, p, rendered)
	if out.failure == nil && out.applyErr == nil && out.stepErr == nil && step.Action == membership.ActionNone {
		// Pods move to a new template only once the membership holds; a
		// step refused is retried with the membership's backoff.
		out.stepErr = r.roll(ctx, p)
	}
	return out
}

// renderAndApply renders the chart for m and applies it. A render error is
// a spec the chart cannot take: terminal until the spec changes. An object
// that is not ours is reported and retried slowly; another apply error is
// returned, for the workqueue's backoff.
func (r *EtcdClusterReconciler) renderAndApply(ctx context.Context, p *pass, m values.Membership) (*lifecycle.Failure, error) {
	objs, err := r.render(p, m)
	if err != nil {
		// A spec the chart cannot take: reported in status, and terminal
		// until the spec changes, so no error for the workqueue to retry.
		return &lifecycle.Failure{Reason: etcdv1alpha1.ReasonRenderFailed, Message: err.Error()}, nil //nolint:nilerr
	}
	applier := apply.Applier{Client: r.Client, Live: r.APIReader, Scheme: r.Scheme}
	res, err := applier.Apply(ctx, p.ec, objs)
	if len(res.Applied) > 0 {
		logf.FromContext(ctx).Info("applied", "objects", res.Applied)
	}
	var foreign *apply.ForeignObjectError
	switch {
	case errors.As(err, &foreign):
		return &lifecycle.Failure{Reason: etcdv1alpha1.ReasonForeignObject, Message: foreign.Error()}, nil
	case err != nil:
		return &lifecycle.Failure{Reason: etcdv1alpha1.ReasonApplyFailed, Message: err.Error()}, err
	}
	return nil, nil
}

func (r *EtcdClusterReconciler) render(p *pass, m values.Membership) ([]*unstructured.Unstructured, error) {
	vals, err := values.For(renderedCluster(p), p.names, m)
	if err != nil {
		return nil, err
	}
	if restore := r.restoreValues(p); restore != nil {
		vals["restore"] = restore
	}
	return r.Renderer.Render(chart.Release{Name: p.ec.Name, Namespace: p.ec.Namespace}, vals)
}

// requeue says when to look again. etcd's health is not a Kubernetes
// object and must be polled: often while something changes, rarely once all
// is well. An apply error is returned instead, so that the workqueue backs
// off exponentially; a render error waits for the spec to change.
func requeue(phase etcdv1alpha1.Phase, obs lifecycle.Observation, step membership.Step, settledPoll time.Duration) reconcile.Result {
	switch {
	case obs.Failure != nil && obs.Failure.Reason == etcdv1alpha1.ReasonApplyFailed:
		return reconcile.Result{}
	case obs.Failure != nil && obs.Failure.Reason == etcdv1alpha1.ReasonRenderFailed:
		return reconcile.Result{}
	case obs.Failure != nil:
		return reconcile.Result{RequeueAfter: failedRequeue}
	case obs.Paused, settled(phase, obs, step):
		return reconcile.Result{RequeueAfter: settledPoll}
	case step.Action != membership.ActionNone || (phase == etcdv1alpha1.PhaseScaling && obs.Reached):
		return reconcile.Result{RequeueAfter: stepRequeue}
	}
	return reconcile.Result{RequeueAfter: progressRequeue}
}

// settled is a healthy Running cluster with nothing to do.
func settled(phase etcdv1alpha1.Phase, obs lifecycle.Observation, step membership.Step) bool {
	return phase == etcdv1alpha1.PhaseRunning && obs.Failure == nil && !obs.Paused && obs.Complete() && step.Action == membership.ActionNone
}

// settledPoll is the next settled poll, jittered.
func (r *EtcdClusterReconciler) settledPoll() time.Duration {
	d := r.SettledPoll
	if d <= 0 {
		d = DefaultSettledPoll
	}
	return wait.Jitter(d, settledJitter)
}

// forget drops what the operator holds in memory for a cluster.
func (r *EtcdClusterReconciler) forget(key types.NamespacedName) {
	r.Etcd.Forget(key)
	r.Renderer.Forget(chart.Release{Name: key.Name, Namespace: key.Namespace})
	r.quorum.forget(key)
	r.stepRetry.succeeded(key)
	r.upkeep.forget(key)
	r.clientTLS.forget(key)
	r.certCache.forget(key)
	r.Metrics.Forget(key)
}

// stepRetry backs off a membership step that etcd keeps refusing, with
// client-go's exponential rate limiter, and logs once per change of error
// rather than on every attempt.
type stepRetry struct {
	once    sync.Once
	limiter workqueue.TypedRateLimiter[types.NamespacedName]
	lastErr sync.Map // types.NamespacedName -> string
}

func (s *stepRetry) init() {
	s.once.Do(func() {
		s.limiter = workqueue.NewTypedItemExponentialFailureRateLimiter[types.NamespacedName](stepRequeue, maxStepBackoff)
	})
}

// failed records a refused step and returns when to try again.
func (s *stepRetry) failed(ctx context.Context, key types.NamespacedName, err error) time.Duration {
	s.init()
	if prev, ok := s.lastErr.Swap(key, err.Error()); !ok || prev.(string) != err.Error() {
		logf.FromContext(ctx).Info("membership step not done; retried with backoff", "error", err.Error())
	}
	return s.limiter.When(key)
}

// succeeded resets the backoff of key.
func (s *stepRetry) succeeded(key types.NamespacedName) {
	s.init()
	s.limiter.Forget(key)
	s.lastErr.Delete(key)
}
