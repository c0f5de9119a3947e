package etcd_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/test/etcdtest"
)

// startCluster runs n real etcd members on loopback.
func startCluster(t *testing.T, n int) (*etcdtest.Cluster, map[string]string) {
	t.Helper()
	peers := map[string]string{}
	peerURL := func(name string) string {
		if u, ok := peers[name]; ok {
			return u
		}
		u, err := etcdtest.PeerURL()
		if err != nil {
			t.Fatal(err)
		}
		peers[name] = u
		return u
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("m-%d", i)
		peerURL(names[i])
	}
	c := etcdtest.NewCluster(t.Name())
	if err := c.Start(peerURL, names...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, peers
}

var timeouts = etcd.Timeouts{Dial: time.Second, Call: 2 * time.Second}

func TestInspectReportsEveryMemberAndOneLeader(t *testing.T) {
	c, _ := startCluster(t, 3)
	pool := etcd.NewPool(timeouts)
	defer pool.Close()
	cli, err := pool.Dial(types.NamespacedName{Name: "x"}, c.ClientURLs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := cli.Inspect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cl.Members) != 3 || cl.ID == 0 || cl.LeaderID == 0 {
		t.Fatalf("cluster = %+v, want 3 members, an ID and a leader", cl)
	}
	leaders := 0
	for _, m := range cl.Members {
		if !m.Healthy() || m.Version == "" || m.DBSize == 0 {
			t.Errorf("member %s: healthy=%v version=%q db=%d errors=%v", m.Name, m.Healthy(), m.Version, m.DBSize, m.Errors)
		}
		if m.Leader {
			leaders++
		}
		if lag := cl.RaftLag(m); lag > 100 {
			t.Errorf("member %s lags by %d entries on an idle cluster", m.Name, lag)
		}
	}
	if leaders != 1 {
		t.Fatalf("%d leaders, want 1", leaders)
	}

	// A stopped member is reported unreachable, not an error for the cluster.
	c.Stop("m-2")
	cl, err = cli.Inspect(context.Background(), nil)
	if err != nil {
		t.Fatalf("inspect with one member down: %v", err)
	}
	stopped := byName(cl)["m-2"]
	if stopped == nil {
		t.Fatalf("stopped member m-2 missing from the result %+v: it must be reported, unreachable", cl.Members)
	}
	if stopped.Healthy() || stopped.Reached || len(stopped.Errors) == 0 {
		t.Fatalf("stopped member m-2 reported %+v, want unreachable with an error", *stopped)
	}
	if len(cl.Members) != 3 {
		t.Fatalf("%d members reported, want 3", len(cl.Members))
	}
}

func byName(cl *etcdstate.Cluster) map[string]*etcdstate.Member {
	out := map[string]*etcdstate.Member{}
	for i := range cl.Members {
		out[cl.Members[i].Name] = &cl.Members[i]
	}
	return out
}

// An address that answers as another member (a pod running some other
// member's data) does not make a member healthy.
func TestInspectRefusesAnAnswerFromAnotherMember(t *testing.T) {
	c, _ := startCluster(t, 2)
	pool := etcd.NewPool(timeouts)
	defer pool.Close()
	cli, err := pool.Dial(types.NamespacedName{Name: "x"}, c.ClientURLs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// m-1's status is asked where m-0 answers.
	swapped := func(etcdstate.Member) string { return c.ClientURLOf("m-0") }
	cl, err := cli.Inspect(context.Background(), swapped)
	if err != nil {
		t.Fatal(err)
	}
	got := byName(cl)
	if got["m-1"] == nil || got["m-0"] == nil {
		t.Fatalf("members %+v, want m-0 and m-1", cl.Members)
	}
	if m := got["m-1"]; m.Healthy() || m.Reached {
		t.Fatalf("m-1 reported reached (errors %v) from m-0's answer", m.Errors)
	}
	if m := got["m-0"]; !m.Healthy() {
		t.Fatalf("m-0 not healthy: %v", m.Errors)
	}
}

func TestPoolReusesOneClientPerCluster(t *testing.T) {
	c, _ := startCluster(t, 1)
	pool := etcd.NewPool(timeouts)
	defer pool.Close()
	key := types.NamespacedName{Namespace: "ns", Name: "a"}
	first, err := pool.Dial(key, c.ClientURLs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := pool.Dial(key, c.ClientURLs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Fatal("a second call made a new client: one per cluster is expected")
	}
	if pool.Len() != 1 {
		t.Fatalf("pool holds %d clients, want 1", pool.Len())
	}
	pool.Forget(key)
	if pool.Len() != 0 {
		t.Fatal("Forget kept the client")
	}
}

func TestMembershipAddPromoteMoveLeaderRemove(t *testing.T) {
	c, peers := startCluster(t, 2)
	pool := etcd.NewPool(timeouts)
	defer pool.Close()
	cli, err := pool.Dial(types.NamespacedName{Name: "m"}, c.ClientURLs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ops := cli
	ctx := context.Background()

	newPeer, err := etcdtest.PeerURL()
	if err != nil {
		t.Fatal(err)
	}
	// etcd refuses membership changes until its members have been connected
	// for a few seconds after start ("unhealthy cluster"); the controller
	// retries on its next pass, the test likewise.
	retry(t, func() error { return ops.AddLearner(ctx, newPeer) })
	// Repeating a step that already happened is not an error.
	if err := ops.AddLearner(ctx, newPeer); err != nil {
		t.Fatalf("second AddLearner of the same peer URL: %v", err)
	}
	initial := map[string]string{"m-0": peers["m-0"], "m-1": peers["m-1"], "m-2": newPeer}
	if err := c.Join("m-2", newPeer, initial); err != nil {
		t.Fatal(err)
	}
	learnerID := memberID(t, ctx, cli, "m-2")
	retry(t, func() error { return ops.Promote(ctx, learnerID) })
	if err := ops.Promote(ctx, learnerID); err != nil {
		t.Fatalf("promoting a voter again: %v", err)
	}

	cl, err := cli.Inspect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var other uint64
	for _, m := range cl.Members {
		if m.Learner {
			t.Fatalf("%s still a learner after promotion", m.Name)
		}
		if !m.Leader && other == 0 && m.ID != learnerID {
			other = m.ID
		}
	}
	// A transfer can outlast one call's timeout on a loaded machine; the
	// controller asks again on its next pass, from the current leader.
	retry(t, func() error {
		cl, err := cli.Inspect(ctx, nil)
		if err != nil {
			return err
		}
		if cl.LeaderID == other {
			return nil
		}
		for _, m := range cl.Members {
			if m.Leader {
				if err := ops.MoveLeader(ctx, m.ClientURLs[0], other); err != nil {
					return fmt.Errorf("MoveLeader: %w", err)
				}
			}
		}
		return fmt.Errorf("leader is %x, want %x", cl.LeaderID, other)
	})

	retry(t, func() error { return ops.Remove(ctx, learnerID) })
	if err := ops.Remove(ctx, learnerID); err != nil {
		t.Fatalf("removing a removed member again: %v", err)
	}
	cl, err = cli.Inspect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cl.Members) != 2 {
		t.Fatalf("%d members after remove, want 2", len(cl.Members))
	}
}

func memberID(t *testing.T, ctx context.Context, cli etcd.Client, name string) uint64 {
	t.Helper()
	cl, err := cli.Inspect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cl.Members {
		if m.Name == name {
			return m.ID
		}
	}
	t.Fatalf("no member %s", name)
	return 0
}

func retry(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after 20s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestClusterVersionIsTheOneEtcdAgreedOn reads the cluster version from a
// real member's /version document: major.minor of the members' version,
// patch 0, once etcd has decided it.
func TestClusterVersionIsTheOneEtcdAgreedOn(t *testing.T) {
	c, _ := startCluster(t, 1)
	pool := etcd.NewPool(timeouts)
	defer pool.Close()
	cli, err := pool.Dial(types.NamespacedName{Name: "x"}, c.ClientURLs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cl, err := cli.Inspect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(cl.Members[0].Version, "%d.%d", &major, &minor); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d.%d.0", major, minor)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := cli.ClusterVersion(ctx, c.ClientURLs()[0])
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ClusterVersion = %q, %v; want %q", got, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
