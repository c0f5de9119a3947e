package metrics_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/metrics"
)

func cluster() *etcdv1alpha1.EtcdCluster {
	expiry := metav1.NewTime(time.Unix(1900000000, 0))
	return &etcdv1alpha1.EtcdCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db"},
		Spec:       etcdv1alpha1.EtcdClusterSpec{Size: 3},
		Status: etcdv1alpha1.EtcdClusterStatus{
			Phase: etcdv1alpha1.PhaseScaling, ReadyMembers: 2, CurrentVersion: "3.6.16", ClusterID: "abc",
			Members: []etcdv1alpha1.MemberStatus{
				{Name: "db-0", Leader: true, Healthy: true, DBSizeBytes: 100, DBSizeInUseBytes: 60},
				{Name: "db-1", Healthy: true, DBSizeBytes: 90, RaftIndexLag: 4},
				{Name: "db-2", Learner: true, Errors: []string{"memberID:123 alarm:NOSPACE "}},
			},
			Alarms:     []string{"NOSPACE"},
			Conditions: []metav1.Condition{{Type: "Available", Status: "True"}, {Type: "Degraded", Status: "False"}},
			TLS:        &etcdv1alpha1.TLSStatus{Certificates: []etcdv1alpha1.CertificateStatus{{Name: "ca", SecretName: "db-ca", NotAfter: expiry}}},
		},
	}
}

// series maps ClusterSeries to name{labels} -> value, without the
// cluster's own two labels.
func series(t *testing.T, ec *etcdv1alpha1.EtcdCluster) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, s := range metrics.ClusterSeries(ec) {
		m := prometheus.MustNewConstMetric(s.Desc, prometheus.GaugeValue, s.Value, s.Labels...)
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		var labels []string
		for _, l := range pb.Label {
			if l.GetName() != "namespace" && l.GetName() != "etcd_cluster" {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
		}
		name := strings.TrimPrefix(descName(s.Desc), "etcd_operator_")
		out[name+"{"+strings.Join(labels, ",")+"}"] = s.Value
	}
	return out
}

func TestClusterSeries(t *testing.T) {
	got := series(t, cluster())
	want := map[string]float64{
		"cluster_phase{phase=Scaling}":                                      1,
		"cluster_phase{phase=Running}":                                      0,
		"cluster_phase{phase=Failed}":                                       0,
		"cluster_info{cluster_id=abc,version=3.6.16}":                       1,
		"cluster_desired_members{}":                                         3,
		"cluster_ready_members{}":                                           2,
		"cluster_members{}":                                                 3,
		"cluster_learners{}":                                                1,
		"cluster_has_leader{}":                                              1,
		"cluster_paused{}":                                                  0,
		"cluster_condition{type=Available}":                                 1,
		"cluster_condition{type=Degraded}":                                  0,
		"member_healthy{member=db-2}":                                       0,
		"member_db_size_bytes{member=db-0}":                                 100,
		"member_db_size_in_use_bytes{member=db-0}":                          60,
		"member_raft_index_lag{member=db-1}":                                4,
		"cluster_alarm{alarm=NOSPACE}":                                      1,
		"certificate_expiry_timestamp_seconds{certificate=ca,secret=db-ca}": 1900000000,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if _, ok := got["cluster_alarm{alarm=CORRUPT}"]; ok {
		t.Error("CORRUPT reported, but no member has it")
	}
	// Bounded: a fixed set per cluster plus four per member.
	if n := len(got); n > 20+4*3 {
		t.Errorf("%d series for a 3-member cluster", n)
	}
}

func TestClusterSeriesOfANewCluster(t *testing.T) {
	got := series(t, &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "new"}, Spec: etcdv1alpha1.EtcdClusterSpec{Size: 1}})
	if got["cluster_has_leader{}"] != 0 || got["cluster_members{}"] != 0 {
		t.Errorf("a cluster with no status: %v", got)
	}
	for k := range got {
		if strings.HasPrefix(k, "member_") || strings.HasPrefix(k, "certificate_") {
			t.Errorf("%s reported for a cluster with no members or certificates", k)
		}
	}
}

func TestRecorderForget(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	r, err := metrics.NewRecorder(reg)
	if err != nil {
		t.Fatal(err)
	}
	a, b := types.NamespacedName{Namespace: "ns", Name: "a"}, types.NamespacedName{Namespace: "ns", Name: "b"}
	r.MembershipChange(a, "AddLearner", time.Millisecond, nil)
	r.MembershipChange(a, "AddLearner", time.Millisecond, nil)
	r.MembershipChange(b, "Promote", time.Millisecond, errors.New("refused"))
	r.ReconcileError(a, "ApplyFailed")
	r.LeaderChange(b)
	r.EtcdCall(a, "Inspect", time.Millisecond, errors.New("timeout"))
	if n := gathered(t, reg, "etcd_operator_membership_changes_total", "a", "AddLearner", "success"); n != 2 {
		t.Errorf("AddLearner successes of a = %v, want 2", n)
	}
	r.Forget(a)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "etcd_cluster" && l.GetValue() == "a" {
					t.Errorf("%s of a deleted cluster still exported", f.GetName())
				}
			}
		}
	}
	if n := testutil.CollectAndCount(reg, "etcd_operator_leader_changes_total"); n != 1 {
		t.Errorf("b's leader changes went with a: %d series", n)
	}
	var nilRecorder *metrics.Recorder
	nilRecorder.MembershipChange(a, "Promote", 0, nil) // records nothing, does not panic
}

// descName is a Desc's fully qualified name.
func descName(d *prometheus.Desc) string {
	_, rest, _ := strings.Cut(d.String(), `fqName: "`)
	name, _, _ := strings.Cut(rest, `"`)
	return name
}

// gathered is the value of the counter name whose label values include
// all of values.
func gathered(t *testing.T, reg prometheus.Gatherer, name string, values ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.Metric {
			have := map[string]bool{}
			for _, l := range m.Label {
				have[l.GetValue()] = true
			}
			for _, v := range values {
				if !have[v] {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
