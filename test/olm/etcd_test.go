//go:build olm

package olm

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

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

// --- the EtcdCluster ----------------------------------------------------------------------

func fetchCluster(ctx context.Context, g Gomega, ec *etcdv1alpha1.EtcdCluster) *etcdv1alpha1.EtcdCluster {
	got, err := fw.FetchCluster(ctx, ec)
	g.Expect(err).NotTo(HaveOccurred())
	return got
}

// watchUntouched polls ec until ctx ends and then sends what it saw change
// compared with before: phase, ready members, member pods.
func watchUntouched(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, before etcdState) <-chan []string {
	out := make(chan []string, 1)
	go func() {
		defer GinkgoRecover()
		seen := map[string]bool{}
		var changes []string
		note := func(format string, args ...any) {
			if s := fmt.Sprintf(format, args...); !seen[s] {
				seen[s] = true
				changes = append(changes, fmt.Sprintf("%s %s", time.Now().Format("15:04:05.000"), s))
			}
		}
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			got := &etcdv1alpha1.EtcdCluster{}
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(ec), got); err == nil {
				if got.Status.Phase != etcdv1alpha1.PhaseRunning {
					note("phase %s", got.Status.Phase)
				}
				if got.Status.ReadyMembers != got.Spec.Size {
					note("readyMembers %d", got.Status.ReadyMembers)
				}
			}
			if pods, err := fw.Pods(ctx, framework.TargetOf(ec)); err == nil {
				for _, p := range pods {
					if uid, ok := before.PodUIDs[p.Name]; !ok || uid != p.UID {
						note("pod %s has UID %s (was %s)", p.Name, p.UID, uid)
					}
					if !p.DeletionTimestamp.IsZero() {
						note("pod %s is being deleted", p.Name)
					}
				}
				if len(pods) != len(before.PodUIDs) {
					note("%d member pods (was %d)", len(pods), len(before.PodUIDs))
				}
			}
			select {
			case <-ctx.Done():
				out <- changes
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// etcdState is one look at a cluster: through clientv3 at each pod's IP and in
// the EtcdCluster's status.
type etcdState struct {
	PodUIDs   map[string]types.UID // pod name -> UID
	MemberIDs map[string]uint64    // pod name -> the member ID its etcd reports
	StatusIDs map[string]string    // member name -> ID (hex) in the EtcdCluster status
	ClusterID uint64
	Leader    uint64
}

func (s etcdState) String() string {
	var parts []string
	for pod, id := range s.MemberIDs {
		parts = append(parts, fmt.Sprintf("%s=%x(uid %s)", pod, id, s.PodUIDs[pod]))
	}
	sort.Strings(parts)
	return fmt.Sprintf("cluster %x, leader %x, members %s", s.ClusterID, s.Leader, strings.Join(parts, " "))
}
