package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// Phases are reported as kube-state-metrics reports a pod's: one series
// per phase, 1 for the current one, so that an alert can match on 1.
var phases = []etcdv1alpha1.Phase{etcdv1alpha1.PhaseCreating, etcdv1alpha1.PhaseRunning,
	etcdv1alpha1.PhaseScaling, etcdv1alpha1.PhaseFailed, etcdv1alpha1.PhaseRecovering}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(Prefix, "", name), help, append(clusterLabels, labels...), nil)
}

var (
	phaseDesc      = desc("cluster_phase", "The cluster's phase: 1 for the current one.", "phase")
	infoDesc       = desc("cluster_info", "Always 1: the cluster's etcd version (the lowest member's) and ID.", "version", "cluster_id")
	desiredDesc    = desc("cluster_desired_members", "spec.size: the voting members asked for.")
	readyDesc      = desc("cluster_ready_members", "Voting members healthy in etcd whose pods are ready.")
	membersDesc    = desc("cluster_members", "Members in etcd's member list, learners included.")
	learnersDesc   = desc("cluster_learners", "Members that do not vote yet.")
	leaderDesc     = desc("cluster_has_leader", "1 when a member reported itself leader at the last health check.")
	pausedDesc     = desc("cluster_paused", "1 when spec.paused stops the operator changing the cluster.")
	conditionDesc  = desc("cluster_condition", "1 when the condition is True.", "type")
	transitionDesc = desc("cluster_condition_last_transition_timestamp_seconds", "When the condition last changed status.", "type")
	healthyDesc    = desc("member_healthy", "1 when the member answered its status call with no error.", "member")
	dbSizeDesc     = desc("member_db_size_bytes", "Size of the member's database file.", "member")
	dbInUseDesc    = desc("member_db_size_in_use_bytes", "Part of the member's database file that holds live data.", "member")
	lagDesc        = desc("member_raft_index_lag", "Raft entries the member trails the leader by.", "member")
	alarmDesc      = desc("cluster_alarm", "1 while etcd reports the alarm (status.alarms: NOSPACE stops the cluster's writes).", "alarm")
	certDesc       = desc("certificate_expiry_timestamp_seconds", "When the cluster's certificate expires.", "certificate", "secret")
)

var allDescs = []*prometheus.Desc{phaseDesc, infoDesc, desiredDesc, readyDesc, membersDesc, learnersDesc,
	leaderDesc, pausedDesc, conditionDesc, transitionDesc, healthyDesc, dbSizeDesc, dbInUseDesc, lagDesc, alarmDesc, certDesc}

// Clusters reports every EtcdCluster's state from its status, as the
// operator last wrote it, at each scrape. Reader is the manager's cache: a
// scrape costs a list from memory and no API request.
type Clusters struct {
	Reader client.Reader
}

var _ prometheus.Collector = Clusters{}

func (c Clusters) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

func (c Clusters) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var list etcdv1alpha1.EtcdClusterList
	if err := c.Reader.List(ctx, &list); err != nil {
		// Before the cache has synced; the next scrape has them.
		logf.Log.WithName("metrics").V(1).Info("EtcdClusters not listed for metrics", "error", err.Error())
		return
	}
	for i := range list.Items {
		for _, s := range ClusterSeries(&list.Items[i]) {
			ch <- prometheus.MustNewConstMetric(s.Desc, prometheus.GaugeValue, s.Value, s.Labels...)
		}
	}
}

// Series is one sample: its description, value and label values.
type Series struct {
	Desc   *prometheus.Desc
	Value  float64
	Labels []string
}

// ClusterSeries is every series of ec, decided from its spec and status.
func ClusterSeries(ec *etcdv1alpha1.EtcdCluster) []Series {
	id := []string{ec.Namespace, ec.Name}
	with := func(extra ...string) []string { return append(append([]string{}, id...), extra...) }
	st := ec.Status
	out := make([]Series, 0, 16+4*len(st.Members))
	add := func(d *prometheus.Desc, v float64, labels []string) {
		out = append(out, Series{Desc: d, Value: v, Labels: labels})
	}
	for _, p := range phases {
		add(phaseDesc, flag(st.Phase == p), with(string(p)))
	}
	add(infoDesc, 1, with(st.CurrentVersion, st.ClusterID))
	add(desiredDesc, float64(ec.Spec.Size), id)
	add(readyDesc, float64(st.ReadyMembers), id)
	add(membersDesc, float64(len(st.Members)), id)
	add(pausedDesc, flag(ec.Spec.Paused), id)
	learners, leader := 0, false
	for _, m := range st.Members {
		if m.Learner {
			learners++
		}
		leader = leader || m.Leader
		add(healthyDesc, flag(m.Healthy), with(m.Name))
		add(dbSizeDesc, float64(m.DBSizeBytes), with(m.Name))
		add(dbInUseDesc, float64(m.DBSizeInUseBytes), with(m.Name))
		add(lagDesc, float64(m.RaftIndexLag), with(m.Name))
	}
	for _, a := range st.Alarms {
		add(alarmDesc, 1, with(a))
	}
	add(learnersDesc, float64(learners), id)
	add(leaderDesc, flag(leader), id)
	for _, c := range st.Conditions {
		add(conditionDesc, flag(c.Status == "True"), with(c.Type))
		add(transitionDesc, float64(c.LastTransitionTime.Unix()), with(c.Type))
	}
	if st.TLS != nil {
		for _, c := range st.TLS.Certificates {
			add(certDesc, float64(c.NotAfter.Unix()), with(c.Name, c.SecretName))
		}
	}
	return out
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
