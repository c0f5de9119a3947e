package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
)

func TestQuorumWatch(t *testing.T) {
	ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c"}}
	noQuorum := lifecycle.Observation{Size: 3, Replicas: 3, Formed: true}
	healthy := lifecycle.Observation{Size: 3, Replicas: 3, Formed: true, Reached: true, Voters: 3, HealthyVoters: 3}
	t0 := time.Unix(1000, 0)
	var w quorumWatch

	if got := w.missingFor(ec, noQuorum, t0); got != 0 {
		t.Fatalf("first sight without quorum: missingFor = %s, want 0", got)
	}
	if got := w.missingFor(ec, noQuorum, t0.Add(3*time.Second)); got != 3*time.Second {
		t.Fatalf("3 s later: missingFor = %s, want 3s", got)
	}
	if got := w.missingFor(ec, healthy, t0.Add(4*time.Second)); got != 0 {
		t.Fatalf("quorum back: missingFor = %s, want 0", got)
	}
	if got := w.missingFor(ec, noQuorum, t0.Add(20*time.Second)); got != 0 {
		t.Fatalf("lost again: the clock restarts, missingFor = %s, want 0", got)
	}
	unformed := noQuorum
	unformed.Formed = false
	if got := w.missingFor(ec, unformed, t0.Add(time.Hour)); got != 0 {
		t.Fatalf("a cluster still forming: missingFor = %s, want 0", got)
	}

	// A restarted operator (empty memory) keeps a loss status already reports.
	ec.Status.Phase = etcdv1alpha1.PhaseFailed
	ec.Status.Conditions = []metav1.Condition{{Type: etcdv1alpha1.ConditionAvailable, Status: metav1.ConditionFalse, Reason: etcdv1alpha1.ReasonQuorumLost}}
	var restarted quorumWatch
	if got := restarted.missingFor(ec, noQuorum, t0); got < lifecycle.QuorumLossGrace {
		t.Fatalf("reported loss after a restart: missingFor = %s, want >= %s", got, lifecycle.QuorumLossGrace)
	}
}
