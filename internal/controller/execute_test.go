package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/membership"
	"github.com/etcd-operator/etcd-operator/test/etcdtest"
)

// A replacement whose removal went through and whose add etcd refused
// says so in a Remove event: the removal cannot be undone, and the next
// pass adds the pod back. Real embedded members; the add is refused for an
// invalid peer URL, after the removal etcd accepted.
func TestExecuteReplaceCutShortAfterTheRemovalRecordsIt(t *testing.T) {
	names := []string{"m-0", "m-1", "m-2"}
	peers := map[string]string{}
	for _, n := range names {
		u, err := etcdtest.PeerURL()
		if err != nil {
			t.Fatal(err)
		}
		peers[n] = u
	}
	c := etcdtest.NewCluster(t.Name())
	if err := c.Start(func(n string) string { return peers[n] }, names...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	pool := etcd.NewPool(etcd.Timeouts{Dial: time.Second, Call: 2 * time.Second})
	t.Cleanup(pool.Close)
	recorder := events.NewFakeRecorder(10)
	r := &EtcdClusterReconciler{Etcd: pool, Recorder: recorder}
	ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "m"}}
	p := &pass{ec: ec, endpoints: []string{c.ClientURLOf("m-0"), c.ClientURLOf("m-1")}}
	ctx := context.Background()

	var err error
	if p.client, err = pool.Dial(client.ObjectKeyFromObject(ec), p.endpoints, nil); err != nil {
		t.Fatal(err)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.ClientURLs(), DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	victim := memberIDByName(t, cli, "m-2")
	step := membership.Step{Action: membership.ActionReplace, Target: "m-2", TargetID: victim, PeerURL: "no-scheme:2380"}

	// etcd refuses a removal until its members have been connected for 5 s
	// (strict reconfig check); the controller retries on its next pass.
	var half removedNotReadded
	deadline := time.Now().Add(30 * time.Second)
	for err = r.execute(ctx, p, step); !errors.As(err, &half) && time.Now().Before(deadline); err = r.execute(ctx, p, step) {
		time.Sleep(500 * time.Millisecond)
	}
	if !errors.As(err, &half) {
		t.Fatalf("execute = %v, want the removal done and the add refused", err)
	}
	if id := memberIDByName(t, cli, "m-2"); id != 0 {
		t.Fatalf("member m-2 (%x) still listed after the removal", id)
	}
	select {
	case e := <-recorder.Events:
		if !strings.HasPrefix(e, "Normal Remove Removed member m-2") {
			t.Fatalf("event %q, want a Remove event for m-2", e)
		}
	default:
		t.Fatal("no event for the removal")
	}
	if len(recorder.Events) != 0 {
		t.Fatalf("%d more events, want only the removal's", len(recorder.Events))
	}
}

// memberIDByName is the ID of the member called name, 0 when none is.
func memberIDByName(t *testing.T, cli *clientv3.Client, name string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cli.MemberList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range resp.Members {
		if m.Name == name {
			return m.ID
		}
	}
	return 0
}
