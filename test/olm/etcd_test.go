//go:build olm

package olm

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

// observeEtcd checks ec through the framework's observer (clientv3 at each
// member pod's IP) and returns what it saw. It fails unless all spec.size
// pods are Ready and answer, agree on the cluster and on a leader among
// them, and etcd's member list holds exactly these started voting members,
// which are also the EtcdCluster status's.
func observeEtcd(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) (etcdState, error) {
	st := etcdState{PodUIDs: map[string]types.UID{}, MemberIDs: map[string]uint64{}, StatusIDs: map[string]string{}}
	got, err := fw.FetchCluster(ctx, ec)
	if err != nil {
		return st, err
	}
	t := framework.TargetOf(got)
	// Every pod counts, those being deleted too: none may be.
	pods, err := fw.Pods(ctx, t)
	if err != nil {
		return st, err
	}
	if len(pods) != t.Size {
		return st, fmt.Errorf("%d member pods, want %d", len(pods), t.Size)
	}
	seen, err := fw.Observe(ctx, t)
	if err != nil {
		return st, err
	}
	for _, m := range seen.Members {
		if !m.Ready {
			return st, fmt.Errorf("pod %s not Ready", m.Pod)
		}
	}
	if err := seen.Healthy(t.Size); err != nil {
		return st, err
	}
	st.ClusterID, st.Leader = seen.Members[0].Status.Header.ClusterId, seen.Members[0].Status.Leader
	for _, m := range seen.Members {
		st.PodUIDs[m.Pod] = m.PodUID
		st.MemberIDs[m.Pod] = m.ID()
	}

	for _, m := range got.Status.Members {
		st.StatusIDs[m.Name] = m.ID
	}
	for pod, id := range st.MemberIDs {
		if st.StatusIDs[pod] != etcdstate.HexID(id) {
			return st, fmt.Errorf("status says member %s is %q, etcd says %x", pod, st.StatusIDs[pod], id)
		}
	}
	if len(st.StatusIDs) != t.Size {
		return st, fmt.Errorf("status lists %d members, want %d", len(st.StatusIDs), t.Size)
	}
	return st, nil
}
