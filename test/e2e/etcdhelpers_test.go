//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/gomega"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// callTimeout bounds every etcd call of a health check.
	callTimeout = 500 * time.Millisecond
	// dialTimeout bounds the TCP probe before a Status call: a member that
	// does not listen yet answers at once instead of costing callTimeout.
	dialTimeout = 200 * time.Millisecond
	// pollInterval is the pause between two checks while the suite measures.
	pollInterval = 150 * time.Millisecond
	clientPort   = "2379"
)

// target is an etcd cluster run by a StatefulSet: its pods are
// <instance>-0..<instance>-(size-1) with the chart's selector labels,
// whether the operator or helm created them.
type target struct {
	Namespace string
	Instance  string
	Size      int
}

func (t target) podLabels() client.MatchingLabels {
	return client.MatchingLabels{"app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": t.Instance}
}

func (t target) podName(ordinal int) string { return fmt.Sprintf("%s-%d", t.Instance, ordinal) }

// livePods are t's pods that are not being deleted, by name.
func (t target) livePods(ctx context.Context) ([]corev1.Pod, error) {
	list := &corev1.PodList{}
	if err := k8s.List(ctx, list, client.InNamespace(t.Namespace), t.podLabels()); err != nil {
		return nil, err
	}
	var pods []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp.IsZero() {
			pods = append(pods, p)
		}
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	return pods, nil
}

// memberState is what one pod's etcd said to a Status call.
type memberState struct {
	Pod    string
	PodUID types.UID
	IP     string
	Status *clientv3.StatusResponse
	Err    error
}

func (m memberState) endpoint() string { return clientURL(m.IP) }

// ID is the member ID the pod's etcd reports, 0 when it did not answer.
func (m memberState) ID() uint64 {
	if m.Status == nil {
		return 0
	}
	return m.Status.Header.MemberId
}

// clusterState is one look at every live pod of a cluster through clientv3.
type clusterState struct {
	Members []memberState
	List    []*pb.Member
	ListErr error
}

// observe asks each live pod of t for its status, in parallel, and the
// first one that answers for etcd's member list.
func (t target) observe(ctx context.Context) (clusterState, error) {
	pods, err := t.livePods(ctx)
	if err != nil {
		return clusterState{}, err
	}
	st := clusterState{Members: make([]memberState, len(pods))}
	var wg sync.WaitGroup
	for i, p := range pods {
		st.Members[i] = memberState{Pod: p.Name, PodUID: p.UID, IP: p.Status.PodIP}
		wg.Go(func() {
			m := &st.Members[i]
			m.Status, m.Err = memberStatus(ctx, m.IP)
		})
	}
	wg.Wait()
	st.ListErr = errors.New("no member answered")
	for _, m := range st.Members {
		if m.Err == nil {
			st.List, st.ListErr = memberList(ctx, m.endpoint())
			break
		}
	}
	return st, nil
}

// healthy is nil when n pods answer, none with errors or as a learner, all
// agree on one leader that is one of them, and etcd's member list holds
// exactly these n started voting members.
func (s clusterState) healthy(n int) error {
	if len(s.Members) != n {
		return fmt.Errorf("%d live member pods, want %d", len(s.Members), n)
	}
	var leader, clusterID uint64
	ids := map[uint64]string{}
	leaders := 0
	for _, m := range s.Members {
		switch {
		case m.Err != nil:
			return fmt.Errorf("%s: %w", m.Pod, m.Err)
		case len(m.Status.Errors) > 0:
			return fmt.Errorf("%s reports errors: %s", m.Pod, strings.Join(m.Status.Errors, "; "))
		case m.Status.IsLearner:
			return fmt.Errorf("%s is a learner", m.Pod)
		case m.Status.Leader == 0:
			return fmt.Errorf("%s has no leader", m.Pod)
		case leader != 0 && m.Status.Leader != leader:
			return fmt.Errorf("%s sees leader %x, another member sees %x", m.Pod, m.Status.Leader, leader)
		case clusterID != 0 && m.Status.Header.ClusterId != clusterID:
			return fmt.Errorf("%s is in cluster %x, another member in %x", m.Pod, m.Status.Header.ClusterId, clusterID)
		}
		leader, clusterID = m.Status.Leader, m.Status.Header.ClusterId
		ids[m.ID()] = m.Pod
		if m.ID() == leader {
			leaders++
		}
	}
	if leaders != 1 {
		return fmt.Errorf("%d members are the leader %x, want 1", leaders, leader)
	}
	if s.ListErr != nil {
		return fmt.Errorf("member list: %w", s.ListErr)
	}
	if len(s.List) != n {
		return fmt.Errorf("etcd lists %d members, want %d", len(s.List), n)
	}
	for _, m := range s.List {
		switch {
		case m.Name == "":
			return fmt.Errorf("member %x is not started", m.ID)
		case m.IsLearner:
			return fmt.Errorf("member %s (%x) is a learner", m.Name, m.ID)
		case ids[m.ID] != m.Name:
			return fmt.Errorf("member %s (%x) is not what pod %q reports", m.Name, m.ID, ids[m.ID])
		}
	}
	return nil
}

// leader is the member that the first pod names as leader.
func (s clusterState) leader() memberState {
	for _, m := range s.Members {
		if m.Status != nil {
			for _, l := range s.Members {
				if l.ID() == m.Status.Leader {
					return l
				}
			}
		}
	}
	return memberState{}
}

// followers are the members that are not the leader.
func (s clusterState) followers() []memberState {
	leader := s.leader().ID()
	var out []memberState
	for _, m := range s.Members {
		if m.ID() != leader {
			out = append(out, m)
		}
	}
	return out
}

func (s clusterState) member(pod string) memberState {
	for _, m := range s.Members {
		if m.Pod == pod {
			return m
		}
	}
	return memberState{}
}

// idsByPod maps each pod to the member ID its etcd reports.
func (s clusterState) idsByPod() map[string]uint64 {
	out := map[string]uint64{}
	for _, m := range s.Members {
		out[m.Pod] = m.ID()
	}
	return out
}

func (s clusterState) endpoints() []string {
	var eps []string
	for _, m := range s.Members {
		eps = append(eps, m.endpoint())
	}
	return eps
}

func clientURL(ip string) string { return "http://" + net.JoinHostPort(ip, clientPort) }

func hexID(id uint64) string { return strconv.FormatUint(id, 16) }

// newEtcdClient is a client of exactly the given endpoints (no sync of the
// member list: members advertise DNS names the host cannot resolve).
func newEtcdClient(endpoints ...string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: callTimeout, Logger: zap.NewNop()})
}

// memberStatus is etcd's Status of the member at ip, within dialTimeout +
// callTimeout. A fresh client each time: a long-lived one would wait out
// gRPC's reconnect back-off and blur the measurement.
func memberStatus(ctx context.Context, ip string) (*clientv3.StatusResponse, error) {
	if ip == "" {
		return nil, errors.New("no pod IP yet")
	}
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip, clientPort))
	if err != nil {
		return nil, fmt.Errorf("not listening: %w", err)
	}
	_ = conn.Close()
	c, err := newEtcdClient(clientURL(ip))
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return c.Status(cctx, clientURL(ip))
}

func memberList(ctx context.Context, endpoint string) ([]*pb.Member, error) {
	c, err := newEtcdClient(endpoint)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := c.MemberList(cctx)
	if err != nil {
		return nil, err
	}
	return resp.Members, nil
}

// putKeys writes n keys under prefix through all endpoints and returns
// them with the revision of the last write.
func putKeys(ctx context.Context, endpoints []string, prefix string, n int) (map[string]string, int64) {
	c, err := newEtcdClient(endpoints...)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = c.Close() }()
	kvs := map[string]string{}
	var rev int64
	for i := range n {
		k, v := fmt.Sprintf("/e2e/%s/%d", prefix, i), fmt.Sprintf("value-%d-%d", i, time.Now().UnixNano())
		Eventually(ctx, func() error {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			resp, err := c.Put(cctx, k, v)
			if err == nil {
				rev = resp.Header.Revision
			}
			return err
		}).WithTimeout(20*time.Second).WithPolling(200*time.Millisecond).Should(Succeed(), "put %s", k)
		kvs[k] = v
	}
	return kvs, rev
}

// localValues reads keys from the member at endpoint alone (a serializable
// get: that member's own data, not the leader's).
func localValues(ctx context.Context, endpoint string, keys map[string]string) (map[string]string, error) {
	c, err := newEtcdClient(endpoint)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	out := map[string]string{}
	for k := range keys {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := c.Get(cctx, k, clientv3.WithSerializable())
		cancel()
		if err != nil {
			return nil, err
		}
		if len(resp.Kvs) == 1 {
			out[k] = string(resp.Kvs[0].Value)
		}
	}
	return out, nil
}

// hashKV is the member's hash of its key-value store at rev.
func hashKV(ctx context.Context, endpoint string, rev int64) (uint32, error) {
	c, err := newEtcdClient(endpoint)
	if err != nil {
		return 0, err
	}
	defer func() { _ = c.Close() }()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := c.HashKV(cctx, endpoint, rev)
	if err != nil {
		return 0, err
	}
	return resp.Hash, nil
}

// expectHealthy waits (at most healthyBound) until t's members are all
// healthy and returns what they said.
func expectHealthy(ctx context.Context, t target) clusterState {
	var st clusterState
	Eventually(ctx, func() error {
		var err error
		if st, err = t.observe(ctx); err != nil {
			return err
		}
		return st.healthy(t.Size)
	}).WithTimeout(healthyBound).WithPolling(pollInterval).Should(Succeed(), "%s/%s: %d healthy members", t.Namespace, t.Instance, t.Size)
	return st
}

// expectData checks that the member at endpoint holds kvs itself.
func expectData(ctx context.Context, endpoint string, kvs map[string]string) {
	Eventually(ctx, func() (map[string]string, error) {
		return localValues(ctx, endpoint, kvs)
	}).WithTimeout(30*time.Second).WithPolling(200*time.Millisecond).Should(Equal(kvs), "data of the member at %s", endpoint)
}
