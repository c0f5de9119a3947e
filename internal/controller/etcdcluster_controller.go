// Package controller reconciles EtcdCluster objects: it renders the
// etcd-cluster chart with values it decides, applies the result, drives
// etcd membership one step at a time and reports the truth in status.
package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/apply"
	"github.com/etcd-operator/etcd-operator/internal/chart"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
	"github.com/etcd-operator/etcd-operator/internal/membership"
	"github.com/etcd-operator/etcd-operator/internal/resources"
	"github.com/etcd-operator/etcd-operator/internal/values"
)

// Finalizer lets the operator close its etcd client and apply the claims'
// reclaim policy before an EtcdCluster goes.
const Finalizer = "etcd.etcd.io/finalizer"

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
	healthRequeue   = 10 * time.Second
	// maxLearnerLag is how many raft entries a learner may trail the leader
	// by and still be promoted.
	maxLearnerLag = 1000
	// learnerStartGrace is how long a learner's pod may run etcd before,
	// the learner still not started, the pod gets fresh storage. A learner
	// publishes itself within seconds (a lost publish is retried after
	// about 7 s); an etcd up for a minute without it runs other data.
	learnerStartGrace = time.Minute
)

// EtcdClusterReconciler reconciles EtcdCluster objects.
type EtcdClusterReconciler struct {
	Client   client.Client
	Scheme   *runtime.Scheme
	Renderer *chart.Cache
	Pool     *etcd.Pool
	Recorder events.EventRecorder
	// ClusterDomain is the Kubernetes DNS domain, for member URLs.
	ClusterDomain string
	// Endpoints returns the client URLs of the given member pods;
	// PodIPEndpoints in a cluster, embedded servers in tests.
	Endpoints func(ec *etcdv1alpha1.EtcdCluster, pods []MemberPod) []string
	// PeerURL is the peer URL a member pod advertises; nil means the
	// chart's per-pod DNS name.
	PeerURL func(ec *etcdv1alpha1.EtcdCluster, pod string) string

	quorum quorumWatch
}

// namer names etcd members after the pods of ec.
func (r *EtcdClusterReconciler) namer(ec *etcdv1alpha1.EtcdCluster) membership.Namer {
	peerURL := func(pod string) string { return fmt.Sprintf("http://%s:2380", podHost(ec, pod, r.ClusterDomain)) }
	if r.PeerURL != nil {
		peerURL = func(pod string) string { return r.PeerURL(ec, pod) }
	}
	return membership.Namer{Cluster: ec.Name, PeerURL: peerURL}
}

// Reconcile moves one EtcdCluster one step towards its spec. It never waits
// for etcd or Kubernetes to change: it requeues instead.
func (r *EtcdClusterReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ec := &etcdv1alpha1.EtcdCluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, ec); err != nil {
		if apierrors.IsNotFound(err) {
			r.Pool.Forget(req.NamespacedName)
			r.Renderer.Forget(chart.Release{Name: req.Name, Namespace: req.Namespace})
			r.quorum.forget(req.NamespacedName)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	if !ec.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, r.finalize(ctx, ec)
	}
	if !controllerutil.ContainsFinalizer(ec, Finalizer) {
		orig := ec.DeepCopy()
		controllerutil.AddFinalizer(ec, Finalizer)
		if err := r.Client.Patch(ctx, ec, client.MergeFrom(orig)); err != nil {
			return reconcile.Result{}, err
		}
	}

	sts, err := r.statefulSet(ctx, ec)
	if err != nil {
		return reconcile.Result{}, err
	}
	replicas := int32(-1)
	if sts != nil && sts.Spec.Replicas != nil {
		replicas = *sts.Spec.Replicas
	}
	// What holds each member's data is read before etcd is asked: a member
	// etcd then reports healthy served from that data, while the other
	// order could credit a replacement pod with a health it never had.
	pods, err := r.memberPods(ctx, ec)
	if err != nil {
		return reconcile.Result{}, err
	}
	claims, err := r.memberClaims(ctx, ec)
	if err != nil {
		return reconcile.Result{}, err
	}
	data := dataUIDs(ec, pods, claims)
	seen := &pass{ec: ec, namer: r.namer(ec), pods: pods, claims: claims}
	seen.endpoints = r.clientEndpoints(ec, replicas, pods)
	seen.cluster = r.inspect(ctx, seen)
	cluster, namer := seen.cluster, seen.namer

	obs := observe(ec, namer, sts, cluster)
	var stepErr, applyErr error
	var step membership.Step
	if !ec.Spec.Paused {
		if err := r.pruneClaims(ctx, seen, replicas); err != nil {
			return reconcile.Result{}, err
		}
		step = membership.Plan(membership.Input{
			Namer:             namer,
			Size:              ec.Spec.Size,
			Replicas:          replicas,
			Formed:            ec.Status.ClusterID != "" || cluster != nil,
			Cluster:           cluster,
			KnownMembers:      statusMemberNames(ec),
			DataLost:          dataLost(ec, data),
			RemovedData:       removedData(pods),
			EtcdUp:            etcdUp(pods, time.Now()),
			LearnerStartGrace: learnerStartGrace,
			Lingering:         lingering(ec, replicas, pods, claims),
			MaxLearnerLag:     maxLearnerLag,
		})
		obs.ScaleBlocked = step.Blocked
		if stepErr = r.execute(ctx, seen, step); stepErr != nil {
			// The step is retried from the member list on the next pass;
			// render what etcd has now, not what the step would give.
			logf.FromContext(ctx).Info("membership step not done; retried on the next pass", "error", stepErr.Error())
			step.Membership = step.Current
			obs.ScaleBlocked = stepErr.Error()
		}
		obs.Failure, applyErr = r.renderAndApply(ctx, ec, step.Membership)
	}
	obs.Formed = ec.Status.ClusterID != "" && replicas > 0
	obs = lifecycle.DetectQuorumLoss(obs, r.quorum.missingFor(ec, obs, time.Now()))

	if err := r.writeStatus(ctx, ec, namer, obs, cluster, data); err != nil {
		if apierrors.IsConflict(err) {
			// Read from a cache that had not seen our last write yet.
			return reconcile.Result{RequeueAfter: conflictRequeue}, nil
		}
		return reconcile.Result{}, err
	}
	return requeue(ec.Status.Phase, obs, step), applyErr
}

// requeue says when to look again. etcd's health is not a Kubernetes
// object and must be polled: often while something changes, rarely once all
// is well. An apply error is returned instead, so that the workqueue backs
// off exponentially; a render error waits for the spec to change.
func requeue(phase etcdv1alpha1.Phase, obs lifecycle.Observation, step membership.Step) reconcile.Result {
	switch {
	case obs.Failure != nil && obs.Failure.Reason == lifecycle.ReasonApplyFailed:
		return reconcile.Result{}
	case obs.Failure != nil && obs.Failure.Reason == lifecycle.ReasonRenderFailed:
		return reconcile.Result{}
	case obs.Failure != nil:
		return reconcile.Result{RequeueAfter: failedRequeue}
	case obs.Paused:
		return reconcile.Result{RequeueAfter: healthRequeue}
	case phase == etcdv1alpha1.PhaseRunning && obs.Complete() && step.Action == membership.ActionNone:
		return reconcile.Result{RequeueAfter: healthRequeue}
	case step.Action != membership.ActionNone || (phase == etcdv1alpha1.PhaseScaling && obs.Reached):
		return reconcile.Result{RequeueAfter: stepRequeue}
	}
	return reconcile.Result{RequeueAfter: progressRequeue}
}

func (r *EtcdClusterReconciler) statefulSet(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) (*appsv1.StatefulSet, error) {
	sts := &appsv1.StatefulSet{}
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: ec.Namespace, Name: ec.Name}, sts)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !metav1.IsControlledBy(sts, ec) {
		// Someone else's: applying the chart reports the conflict.
		return nil, nil
	}
	return sts, nil
}

// clientEndpoints are the members the operator talks to: the pods that
// run, less the ones etcd last reported as learners, which refuse member
// list and membership calls.
func (r *EtcdClusterReconciler) clientEndpoints(ec *etcdv1alpha1.EtcdCluster, replicas int32, pods map[string]*corev1.Pod) []string {
	learners := map[string]bool{}
	for _, m := range ec.Status.Members {
		learners[m.Name] = m.Learner
	}
	var members []MemberPod
	for i := range max(replicas, 0) {
		if name := fmt.Sprintf("%s-%d", ec.Name, i); !learners[name] {
			members = append(members, memberPod(name, pods))
		}
	}
	return r.Endpoints(ec, members)
}

// pass is what one reconcile read of a cluster, handed to the steps that
// act on it.
type pass struct {
	ec     *etcdv1alpha1.EtcdCluster
	namer  membership.Namer
	pods   map[string]*corev1.Pod
	claims map[string]*corev1.PersistentVolumeClaim
	// endpoints are the client URLs the etcd client uses.
	endpoints []string
	// cluster is etcd's answer, nil when it did not give one.
	cluster *etcd.Cluster
}

// inspect asks etcd for its members; nil when there is nothing to ask yet
// or etcd did not answer within the pool's timeouts.
func (r *EtcdClusterReconciler) inspect(ctx context.Context, p *pass) *etcd.Cluster {
	if len(p.endpoints) == 0 {
		return nil
	}
	ec := p.ec
	log := logf.FromContext(ctx)
	c, err := r.Pool.Client(client.ObjectKeyFromObject(ec), p.endpoints)
	if err != nil {
		log.Info("etcd client not created", "error", err.Error())
		return nil
	}
	// Each member's status is asked where the operator reaches its pod, not
	// at the DNS name the member advertises (see PodIPEndpoints).
	cluster, err := etcd.Inspect(ctx, c, r.Pool.Timeouts(), func(m etcd.Member) string {
		return r.memberEndpoint(p, m)
	})
	if err != nil {
		log.V(1).Info("etcd did not answer", "error", err.Error())
		return nil
	}
	// Pod IPs are reused: an address the cache still gives a gone member
	// may already belong to another cluster's pod, never to be acted on.
	if id := etcd.HexID(cluster.ID); ec.Status.ClusterID != "" && id != ec.Status.ClusterID {
		log.Info("an endpoint answered for another etcd cluster", "clusterID", id, "expected", ec.Status.ClusterID)
		r.Pool.Forget(client.ObjectKeyFromObject(ec))
		return nil
	}
	return cluster
}

// renderAndApply renders the chart for m and applies it. A render error is
// a spec the chart cannot take: it is terminal until the spec changes. An
// apply error is retried with backoff.
func (r *EtcdClusterReconciler) renderAndApply(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, m values.Membership) (*lifecycle.Failure, error) {
	objs, err := r.render(ec, m)
	if err != nil {
		// A spec the chart cannot take: reported in status, and terminal
		// until the spec changes, so no error for the workqueue to retry.
		return &lifecycle.Failure{Reason: lifecycle.ReasonRenderFailed, Message: err.Error()}, nil //nolint:nilerr
	}
	applier := apply.Applier{Client: r.Client, Scheme: r.Scheme}
	res, err := applier.Apply(ctx, ec, objs)
	if len(res.Applied) > 0 {
		logf.FromContext(ctx).Info("applied", "objects", res.Applied)
	}
	if err != nil {
		return &lifecycle.Failure{Reason: lifecycle.ReasonApplyFailed, Message: err.Error()}, err
	}
	return nil, nil
}

func (r *EtcdClusterReconciler) render(ec *etcdv1alpha1.EtcdCluster, m values.Membership) ([]*unstructured.Unstructured, error) {
	vals, err := values.For(ec, resources.For(ec, r.ClusterDomain), m)
	if err != nil {
		return nil, err
	}
	return r.Renderer.Render(release(ec), vals)
}

// execute carries out step's etcd change, then gives the member's pod a
// fresh start where the step asks for one. Each call is bounded by the
// pool's call timeout; an error leaves the step to the next reconcile.
func (r *EtcdClusterReconciler) execute(ctx context.Context, p *pass, step membership.Step) error {
	if step.Nudge {
		r.nudge(ctx, p)
	}
	if step.Action == membership.ActionNone {
		return nil
	}
	if err := r.changeMembership(ctx, p, step); err != nil {
		var half removedNotReadded
		if errors.As(err, &half) {
			// The removal is done and cannot be undone: say so now.
			r.Recorder.Eventf(p.ec, nil, corev1.EventTypeNormal, string(membership.ActionRemove), "Membership",
				"Removed member %s, whose data is gone; adding it back as a learner is retried: %v", step.Target, half.err)
		}
		return fmt.Errorf("%s %s: %w", step.Action, step.Target, err)
	}
	if err := r.restart(ctx, p, step); err != nil {
		return fmt.Errorf("%s %s: %w", step.Action, step.Target, err)
	}
	r.Recorder.Eventf(p.ec, nil, corev1.EventTypeNormal, string(step.Action), "Membership", "%s member %s", step.Action, step.Target)
	logf.FromContext(ctx).Info("membership step done", "action", step.Action, "member", step.Target,
		"restartPod", step.RestartPod, "deleteClaim", step.DeleteClaim)
	return nil
}

// nudge has etcd commit an empty entry for a learner waiting to start. It
// is best effort: the learner is waited for on the next pass either way.
func (r *EtcdClusterReconciler) nudge(ctx context.Context, p *pass) {
	c, err := r.Pool.Client(client.ObjectKeyFromObject(p.ec), p.endpoints)
	if err == nil {
		err = etcd.Membership{Client: c, Timeouts: r.Pool.Timeouts()}.Nudge(ctx)
	}
	if err != nil {
		logf.FromContext(ctx).V(1).Info("etcd not nudged for a learner", "error", err.Error())
	}
}

// changeMembership makes step's change in etcd.
func (r *EtcdClusterReconciler) changeMembership(ctx context.Context, p *pass, step membership.Step) error {
	if step.Action == membership.ActionReset {
		return nil
	}
	c, err := r.Pool.Client(client.ObjectKeyFromObject(p.ec), p.endpoints)
	if err != nil {
		return err
	}
	ops := etcd.Membership{Client: c, Timeouts: r.Pool.Timeouts()}
	switch step.Action {
	case membership.ActionAddLearner:
		err = ops.AddLearner(ctx, step.PeerURL)
	case membership.ActionPromote:
		err = ops.Promote(ctx, step.TargetID)
	case membership.ActionMoveLeader:
		err = ops.MoveLeader(ctx, r.leaderEndpoint(p), step.TransferTo)
	case membership.ActionRemove:
		err = ops.Remove(ctx, step.TargetID)
	case membership.ActionReplace:
		// A failure between the calls is finished by the plan on the next
		// pass: a pod without a member is added back, and restarted.
		if err = ops.Remove(ctx, step.TargetID); err != nil {
			return err
		}
		if err = ops.AddLearner(ctx, step.PeerURL); err != nil {
			return removedNotReadded{err}
		}
	}
	return err
}

// removedNotReadded is a Replace cut short after its removal: etcd refused
// the add that follows.
type removedNotReadded struct{ err error }

func (e removedNotReadded) Error() string { return "removed, not added back yet: " + e.err.Error() }
func (e removedNotReadded) Unwrap() error { return e.err }

// restart deletes the claim and the pod of step's target when the step
// says so. Whatever they hold then is no member's usable data (the plan
// only asks after etcd's member for the pod changed or refused that
// data), so deleting them by name is safe; the StatefulSet recreates both.
func (r *EtcdClusterReconciler) restart(ctx context.Context, p *pass, step membership.Step) error {
	if claim, ok := p.claims[step.Target]; ok && step.DeleteClaim {
		// The claim goes once its pod has: the StatefulSet waits for that
		// before it creates the pod again, on a new claim.
		if err := r.deleteClaim(ctx, claim, "a claim holding a removed member's data"); err != nil {
			return err
		}
	}
	if !step.RestartPod {
		return nil
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: p.ec.Namespace, Name: step.Target}}
	return client.IgnoreNotFound(r.Client.Delete(ctx, pod))
}

// leaderEndpoint is the client URL of etcd's leader, "" when there is none.
func (r *EtcdClusterReconciler) leaderEndpoint(p *pass) string {
	for _, m := range p.cluster.Members {
		if m.ID == p.cluster.LeaderID {
			return r.memberEndpoint(p, m)
		}
	}
	return ""
}

// memberEndpoint is the client URL of member m's pod, "" while it has none.
func (r *EtcdClusterReconciler) memberEndpoint(p *pass, m etcd.Member) string {
	if eps := r.Endpoints(p.ec, []MemberPod{memberPod(p.namer.Name(m), p.pods)}); len(eps) > 0 {
		return eps[0]
	}
	return ""
}

// finalize applies the claims' reclaim policy and releases the etcd
// client; owned objects go by garbage collection.
func (r *EtcdClusterReconciler) finalize(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) error {
	if !controllerutil.ContainsFinalizer(ec, Finalizer) {
		return nil
	}
	if ec.Spec.Storage.ReclaimPolicy != etcdv1alpha1.ReclaimRetain {
		err := r.Client.DeleteAllOf(ctx, &corev1.PersistentVolumeClaim{},
			client.InNamespace(ec.Namespace), client.MatchingLabels(selectorLabels(ec)))
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting claims: %w", err)
		}
	}
	r.Pool.Forget(client.ObjectKeyFromObject(ec))
	r.Renderer.Forget(release(ec))
	r.quorum.forget(client.ObjectKeyFromObject(ec))
	orig := ec.DeepCopy()
	controllerutil.RemoveFinalizer(ec, Finalizer)
	if err := r.Client.Patch(ctx, ec, client.MergeFrom(orig)); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

func release(ec *etcdv1alpha1.EtcdCluster) chart.Release {
	return chart.Release{Name: ec.Name, Namespace: ec.Namespace}
}

// selectorLabels select a cluster's pods and claims; the chart's
// etcd-cluster.selectorLabels must agree.
func selectorLabels(ec *etcdv1alpha1.EtcdCluster) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": ec.Name}
}
