// Package metrics is what the operator tells Prometheus. Two kinds of
// series: each EtcdCluster's state, read from the cache at scrape time
// (clusters.go), so that a deleted cluster's series go with it and a
// restarted operator reports at once; and what the controller did, counted
// as it does it (this file), whose per-cluster series Forget removes.
//
// Every per-cluster series carries the labels namespace and etcd_cluster
// (the EtcdCluster's name). Histograms carry no cluster label: a thousand
// clusters times a dozen buckets would be most of the operator's series.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Prefix is the namespace of every series the operator exports.
const Prefix = "etcd_operator"

// Results of a membership change or an etcd call.
const (
	ResultSuccess = "success"
	ResultError   = "error"
)

var clusterLabels = []string{"namespace", "etcd_cluster"}

// Recorder counts what the controller does. A nil *Recorder records
// nothing, for reconcilers built without one (unit tests).
type Recorder struct {
	membershipChanges  *prometheus.CounterVec
	membershipDuration *prometheus.HistogramVec
	reconcileErrors    *prometheus.CounterVec
	leaderChanges      *prometheus.CounterVec
	etcdDuration       *prometheus.HistogramVec
	etcdErrors         *prometheus.CounterVec
	maintenance        *prometheus.CounterVec
	maintenanceTime    *prometheus.HistogramVec
	all                []prometheus.Collector
}

// NewRecorder registers the controller's series with reg.
func NewRecorder(reg prometheus.Registerer) (*Recorder, error) {
	r := &Recorder{
		membershipChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Prefix, Name: "membership_changes_total",
			Help: "Membership changes the operator made in etcd, by operation (AddLearner, Promote, Remove, Replace, MoveLeader, Reset) and result.",
		}, append(clusterLabels, "operation", "result")),
		membershipDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Prefix, Name: "membership_change_duration_seconds",
			Help:    "How long etcd took to make one membership change, by operation.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"operation"}),
		reconcileErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Prefix, Name: "reconcile_errors_total",
			Help: "Reconcile passes that did not do what they decided, by reason (a condition reason).",
		}, append(clusterLabels, "reason")),
		leaderChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Prefix, Name: "leader_changes_total",
			Help: "Changes of etcd's leader seen by the operator between two passes (a change and back within one poll is not seen).",
		}, clusterLabels),
		etcdDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Prefix, Name: "etcd_request_duration_seconds",
			Help:    "Duration of the operator's etcd calls, by call.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"call"}),
		etcdErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Prefix, Name: "etcd_request_errors_total",
			Help: "The operator's etcd calls that failed, by call.",
		}, append(clusterLabels, "call")),
		maintenance: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Prefix, Name: "maintenance_actions_total",
			Help: "Database care the operator did, by action (Compact, MoveLeader, Defragment, Disarm) and result.",
		}, append(clusterLabels, "action", "result")),
		maintenanceTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Prefix, Name: "maintenance_action_duration_seconds",
			Help:    "How long one maintenance action took, by action; a defragmentation takes about a second per 100 MiB.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900},
		}, []string{"action"}),
	}
	r.all = []prometheus.Collector{r.membershipChanges, r.membershipDuration, r.reconcileErrors,
		r.leaderChanges, r.etcdDuration, r.etcdErrors, r.maintenance, r.maintenanceTime}
	for _, c := range r.all {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Register adds the operator's series to reg: the recorder's, and every
// EtcdCluster's state read from cache at each scrape.
func Register(reg prometheus.Registerer, cache client.Reader) (*Recorder, error) {
	r, err := NewRecorder(reg)
	if err != nil {
		return nil, err
	}
	if err := reg.Register(Clusters{Reader: cache}); err != nil {
		return nil, err
	}
	return r, nil
}

// Describe sends the descriptions of the recorder's series, as a
// prometheus.Collector does.
func (r *Recorder) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range r.all {
		c.Describe(ch)
	}
}

// MembershipChange records one membership change of cluster key.
func (r *Recorder) MembershipChange(key types.NamespacedName, operation string, took time.Duration, err error) {
	if r == nil {
		return
	}
	r.membershipChanges.WithLabelValues(key.Namespace, key.Name, operation, result(err)).Inc()
	r.membershipDuration.WithLabelValues(operation).Observe(took.Seconds())
}

// ReconcileError records a pass of cluster key that failed for reason.
func (r *Recorder) ReconcileError(key types.NamespacedName, reason string) {
	if r == nil {
		return
	}
	r.reconcileErrors.WithLabelValues(key.Namespace, key.Name, reason).Inc()
}

// LeaderChange records that cluster key's leader changed.
func (r *Recorder) LeaderChange(key types.NamespacedName) {
	if r == nil {
		return
	}
	r.leaderChanges.WithLabelValues(key.Namespace, key.Name).Inc()
}

// EtcdCall records one etcd call made for cluster key.
func (r *Recorder) EtcdCall(key types.NamespacedName, call string, took time.Duration, err error) {
	if r == nil {
		return
	}
	r.etcdDuration.WithLabelValues(call).Observe(took.Seconds())
	if err != nil {
		r.etcdErrors.WithLabelValues(key.Namespace, key.Name, call).Inc()
	}
}

// Maintenance records one maintenance action of cluster key.
func (r *Recorder) Maintenance(key types.NamespacedName, action string, took time.Duration, err error) {
	if r == nil {
		return
	}
	r.maintenance.WithLabelValues(key.Namespace, key.Name, action, result(err)).Inc()
	r.maintenanceTime.WithLabelValues(action).Observe(took.Seconds())
}

// Forget removes cluster key's series, once it is deleted.
func (r *Recorder) Forget(key types.NamespacedName) {
	if r == nil {
		return
	}
	match := prometheus.Labels{"namespace": key.Namespace, "etcd_cluster": key.Name}
	for _, v := range []*prometheus.CounterVec{r.membershipChanges, r.reconcileErrors, r.leaderChanges, r.etcdErrors, r.maintenance} {
		v.DeletePartialMatch(match)
	}
}

func result(err error) string {
	if err != nil {
		return ResultError
	}
	return ResultSuccess
}
