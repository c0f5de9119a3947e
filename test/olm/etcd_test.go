//go:build olm

package olm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

const etcdCallTimeout = 2 * time.Second

// observeEtcd checks ec through clientv3 at each member pod's IP (the host
// reaches pod IPs directly; members advertise DNS names it cannot resolve, so
// every client talks to exactly one endpoint) and returns what it saw. It fails
// unless all spec.size pods are Ready and answer, agree on the cluster and on a
// leader among them, and etcd's member list holds exactly these started voting
// members, which are also the EtcdCluster status's.
func observeEtcd(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) (etcdState, error) {
	st := etcdState{PodUIDs: map[string]types.UID{}, MemberIDs: map[string]uint64{}, StatusIDs: map[string]string{}}
	got := &etcdv1alpha1.EtcdCluster{}
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ec.Namespace, Name: ec.Name}, got); err != nil {
		return st, err
	}
	size := int(got.Spec.Size)
	pods, err := memberPods(ctx, ec)
	if err != nil {
		return st, err
	}
	if len(pods) != size {
		return st, fmt.Errorf("%d member pods, want %d", len(pods), size)
	}
	type answer struct {
		pod  corev1.Pod
		resp *clientv3.StatusResponse
		err  error
	}
	answers := make([]answer, len(pods))
	var wg sync.WaitGroup
	for i, p := range pods {
		answers[i].pod = p
		wg.Go(func() { answers[i].resp, answers[i].err = memberStatus(ctx, p.Status.PodIP) })
	}
	wg.Wait()
	for _, a := range answers {
		if !podReady(a.pod) {
			return st, fmt.Errorf("pod %s not Ready", a.pod.Name)
		}
		if a.err != nil {
			return st, fmt.Errorf("pod %s (%s): %w", a.pod.Name, a.pod.Status.PodIP, a.err)
		}
		h := a.resp.Header
		if len(a.resp.Errors) > 0 {
			return st, fmt.Errorf("pod %s reports errors %v", a.pod.Name, a.resp.Errors)
		}
		if a.resp.IsLearner {
			return st, fmt.Errorf("pod %s is a learner", a.pod.Name)
		}
		if st.ClusterID == 0 {
			st.ClusterID, st.Leader = h.ClusterId, a.resp.Leader
		}
		if h.ClusterId != st.ClusterID || a.resp.Leader != st.Leader {
			return st, fmt.Errorf("pod %s: cluster %x leader %x, others say cluster %x leader %x",
				a.pod.Name, h.ClusterId, a.resp.Leader, st.ClusterID, st.Leader)
		}
		st.PodUIDs[a.pod.Name] = a.pod.UID
		st.MemberIDs[a.pod.Name] = h.MemberId
	}
	ids := map[uint64]bool{}
	for _, id := range st.MemberIDs {
		ids[id] = true
	}
	if len(ids) != size || !ids[st.Leader] {
		return st, fmt.Errorf("member IDs %v, leader %x: want %d distinct members led by one of them", st.MemberIDs, st.Leader, size)
	}

	c, err := newEtcdClient(clientURL(pods[0].Status.PodIP))
	if err != nil {
		return st, err
	}
	defer func() { _ = c.Close() }()
	cctx, cancel := context.WithTimeout(ctx, etcdCallTimeout)
	defer cancel()
	list, err := c.MemberList(cctx)
	if err != nil {
		return st, fmt.Errorf("member list: %w", err)
	}
	if len(list.Members) != size {
		return st, fmt.Errorf("etcd lists %d members, want %d", len(list.Members), size)
	}
	for _, m := range list.Members {
		if !ids[m.ID] || m.IsLearner || m.Name == "" {
			return st, fmt.Errorf("etcd lists member %x (%q, learner %v) that is not one of the started pods", m.ID, m.Name, m.IsLearner)
		}
	}

	for _, m := range got.Status.Members {
		st.StatusIDs[m.Name] = m.ID
	}
	for pod, id := range st.MemberIDs {
		if st.StatusIDs[pod] != strconv.FormatUint(id, 16) {
			return st, fmt.Errorf("status says member %s is %q, etcd says %x", pod, st.StatusIDs[pod], id)
		}
	}
	if len(st.StatusIDs) != size {
		return st, fmt.Errorf("status lists %d members, want %d", len(st.StatusIDs), size)
	}
	return st, nil
}

func podReady(p corev1.Pod) bool {
	if !p.DeletionTimestamp.IsZero() {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func clientURL(ip string) string { return "http://" + net.JoinHostPort(ip, "2379") }

func newEtcdClient(endpoints ...string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: etcdCallTimeout, Logger: zap.NewNop()})
}

func memberStatus(ctx context.Context, ip string) (*clientv3.StatusResponse, error) {
	if ip == "" {
		return nil, errors.New("no pod IP yet")
	}
	c, err := newEtcdClient(clientURL(ip))
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	cctx, cancel := context.WithTimeout(ctx, etcdCallTimeout)
	defer cancel()
	return c.Status(cctx, clientURL(ip))
}
