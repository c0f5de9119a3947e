package controller

import (
	"context"
	"errors"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcd/etcdfake"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/membership"
)

// execute makes each step's one call through the etcd seam, and a refused
// step is retried with a growing backoff, capped.
func TestExecuteThroughTheSeamAndBackOff(t *testing.T) {
	ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c"}}
	fake := &etcdfake.Cluster{State: etcdstate.Cluster{ID: 1, LeaderID: 1, Members: []etcdstate.Member{
		{ID: 1, Name: "c-0", Leader: true, Reached: true}, {ID: 0x2a, Name: "c-1", Learner: true, Reached: true},
	}}}
	dialer := etcdfake.NewDialer()
	dialer.Set(client.ObjectKeyFromObject(ec), fake)
	r := &EtcdClusterReconciler{Etcd: dialer, Recorder: events.NewFakeRecorder(10)}
	c, _ := dialer.Dial(client.ObjectKeyFromObject(ec), nil, nil)
	p := &pass{ec: ec, client: c}
	ctx := context.Background()

	if err := r.execute(ctx, p, membership.Step{Action: membership.ActionPromote, Target: "c-1", TargetID: 0x2a}); err != nil {
		t.Fatal(err)
	}
	if got := fake.CallList(); !slices.Equal(got, []string{"Promote 2a"}) {
		t.Fatalf("calls %v, want one Promote", got)
	}

	fake.Fail = map[string]error{"Remove": errors.New("etcdserver: unhealthy cluster")}
	step := membership.Step{Action: membership.ActionRemove, Target: "c-1", TargetID: 0x2a}
	key := client.ObjectKeyFromObject(ec)
	var delays []int64
	for range 8 {
		err := r.execute(ctx, p, step)
		if err == nil {
			t.Fatal("a refused Remove reported done")
		}
		delays = append(delays, int64(r.stepRetry.failed(ctx, key, err)))
	}
	for i := 1; i < len(delays); i++ {
		if delays[i] < delays[i-1] {
			t.Fatalf("backoff shrank: %v", delays)
		}
	}
	if first, last := delays[0], delays[len(delays)-1]; first != int64(stepRequeue) || last <= first || last > int64(maxStepBackoff) {
		t.Fatalf("backoff %v: want from %v growing, capped at %v", delays, stepRequeue, maxStepBackoff)
	}
	r.stepRetry.succeeded(key)
	if d := r.stepRetry.failed(ctx, key, errors.New("again")); d != stepRequeue {
		t.Fatalf("after a success the backoff restarts at %v, got %v", stepRequeue, d)
	}
}
