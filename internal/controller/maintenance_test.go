package controller

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
)

func TestUpkeepRunsOneActionAtATimeAndHoldsAFailureBack(t *testing.T) {
	var u upkeep
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	release := make(chan error)
	ended := make(chan struct{})
	if !u.begin(key, time.Now()) {
		t.Fatal("a first action may begin")
	}
	u.run(context.Background(), key, nil, time.Minute, func(context.Context, etcd.Client) error { return <-release },
		func(time.Duration, error) { close(ended) })
	if !u.busy(key) || u.begin(key, time.Now()) {
		t.Fatal("a second action began while the first runs")
	}
	release <- errors.New("refused")
	<-ended
	waitFor(t, func() bool { return !u.busy(key) })
	if u.begin(key, time.Now()) {
		t.Fatal("an action began right after a failure")
	}
	if !u.begin(key, time.Now().Add(maintenanceRetry+time.Second)) {
		t.Fatal("no action began after the retry delay")
	}
}

func TestUpkeepForgetCancelsTheRunningAction(t *testing.T) {
	var u upkeep
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	canceled := make(chan struct{})
	u.begin(key, time.Now())
	u.run(context.Background(), key, nil, time.Minute, func(ctx context.Context, _ etcd.Client) error {
		<-ctx.Done()
		close(canceled)
		return ctx.Err()
	}, func(time.Duration, error) {})
	u.forget(key)
	select {
	case <-canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("forget did not cancel the action")
	}
	waitFor(t, func() bool { return !u.busy(key) })
	if u.history(key).Compacted != 0 {
		t.Fatal("a forgotten cluster keeps state")
	}
}

func TestMaintenancePolicyDefaults(t *testing.T) {
	ec := &etcdv1alpha1.EtcdCluster{}
	p, _ := maintenancePolicy(ec, time.Now())
	if !p.Defragment || !p.RecoverNoSpace || p.MinDBSize != 100<<20 || p.MinFreeRatio != 0.45 || p.Quota != 2<<30 {
		t.Fatalf("defaults = %+v", p)
	}
	ec.Spec.Maintenance = etcdv1alpha1.MaintenanceSpec{NoSpaceRecovery: etcdv1alpha1.MaintenanceOff,
		Defragmentation: etcdv1alpha1.DefragmentationSpec{Mode: etcdv1alpha1.MaintenanceOff, MinDBSize: new(resource.MustParse("1Mi")), MinFreePercent: 30}}
	ec.Spec.Tuning.QuotaBackendBytes = new(resource.MustParse("1Gi"))
	p, _ = maintenancePolicy(ec, time.Now())
	if p.Defragment || p.RecoverNoSpace || p.MinDBSize != 1<<20 || p.MinFreeRatio != 0.3 || p.Quota != 1<<30 {
		t.Fatalf("policy = %+v", p)
	}
}

// A window gates defragmentation only; a schedule cron refuses turns it
// off with an error to report.
func TestMaintenancePolicyWindow(t *testing.T) {
	ec := &etcdv1alpha1.EtcdCluster{}
	ec.Spec.Maintenance.Defragmentation.Window = &etcdv1alpha1.MaintenanceWindow{Schedule: "0 2 * * 6", Duration: metav1.Duration{Duration: time.Hour}}
	saturday := time.Date(2026, 12, 5, 2, 30, 0, 0, time.UTC)
	if p, err := maintenancePolicy(ec, saturday); err != nil || !p.Defragment || !p.RecoverNoSpace {
		t.Fatalf("inside the window: %+v, %v", p, err)
	}
	if p, err := maintenancePolicy(ec, saturday.Add(2*time.Hour)); err != nil || p.Defragment || !p.RecoverNoSpace {
		t.Fatalf("outside the window: %+v, %v (NOSPACE recovery must not wait)", p, err)
	}
	ec.Spec.Maintenance.Defragmentation.Window.Schedule = "99 * * * *"
	if p, err := maintenancePolicy(ec, saturday); err == nil || p.Defragment {
		t.Fatalf("a bad schedule: %+v, %v", p, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
