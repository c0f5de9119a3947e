package controller

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// What holds each member's data, read from the pass; pure functions.

// dataUIDs maps each member pod to the UID of what holds its data now:
// the pod itself for EmptyDir storage, its claim otherwise. Objects being
// deleted are left out: they hold data on its way out, and no member's
// data is judged lost, or credited, by them.
func dataUIDs(p *pass) map[string]string {
	out := map[string]string{}
	if p.ec.Spec.Storage.Type == etcdv1alpha1.StorageEmptyDir {
		for name, po := range p.pods {
			if po.DeletionTimestamp.IsZero() {
				out[name] = string(po.UID)
			}
		}
		return out
	}
	for pod, c := range p.claims {
		if c.DeletionTimestamp.IsZero() {
			out[pod] = string(c.UID)
		}
	}
	return out
}

// dataLost names the members etcd lists whose data now lives on something
// other than what held it when the same member, by ID, was last healthy.
// A new member on the pod of a replaced one has another ID and no record
// yet: it is never taken for the member that lost its data.
func dataLost(p *pass, data map[string]string) map[string]bool {
	lost := map[string]bool{}
	if p.cluster == nil {
		return lost
	}
	recorded := map[string]string{}
	for _, m := range p.ec.Status.Members {
		recorded[m.ID] = m.DataUID
	}
	for _, m := range p.cluster.Members {
		name := p.namer.Name(m)
		was := recorded[etcdstate.HexID(m.ID)]
		if now, ok := data[name]; ok && was != "" && now != was {
			lost[name] = true
		}
	}
	return lost
}

// liveClaims names the pods whose claim exists and is not being deleted.
func liveClaims(p *pass) map[string]bool {
	out := map[string]bool{}
	for pod, c := range p.claims {
		if c.DeletionTimestamp.IsZero() {
			out[pod] = true
		}
	}
	return out
}

// lingering names the ordinals at or above the replicas whose pod or claim
// still exists, terminating or not.
func lingering(p *pass) map[string]bool {
	out := map[string]bool{}
	for name := range p.pods {
		if p.names.Ordinal(name) >= p.replicas {
			out[name] = true
		}
	}
	for name := range p.claims {
		if p.names.Ordinal(name) >= p.replicas {
			out[name] = true
		}
	}
	return out
}

// removedData names the pods whose etcd container stopped with status 0.
// etcd exits that way when its server stopped itself, which it does once
// told that the member its data belongs to was removed (rafthttp's
// errMemberRemoved), and every restart on that data repeats it. As PID 1
// it also exits 0 on SIGTERM (a liveness kill), so the plan acts on this
// only for a learner that never answered or a pod without a member:
// neither holds data the cluster needs.
func removedData(pods map[string]*corev1.Pod) map[string]bool {
	out := map[string]bool{}
	for name, p := range pods {
		if !p.DeletionTimestamp.IsZero() {
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name == resources.EtcdContainer && (exitedCleanly(cs.State) || exitedCleanly(cs.LastTerminationState)) {
				out[name] = true
			}
		}
	}
	return out
}

// etcdUp tells, for each pod whose etcd container has started at least
// once, how long ago the pod started (as of now).
func etcdUp(pods map[string]*corev1.Pod, now time.Time) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, p := range pods {
		if !p.DeletionTimestamp.IsZero() || p.Status.StartTime == nil {
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			started := cs.RestartCount > 0 || cs.State.Running != nil || cs.State.Terminated != nil
			if cs.Name == resources.EtcdContainer && started {
				out[name] = now.Sub(p.Status.StartTime.Time)
			}
		}
	}
	return out
}

func exitedCleanly(s corev1.ContainerState) bool {
	return s.Terminated != nil && s.Terminated.ExitCode == 0
}

// statusMemberNames are the members last reported, for when etcd cannot be asked.
func statusMemberNames(ec *etcdv1alpha1.EtcdCluster) []string {
	names := make([]string, 0, len(ec.Status.Members))
	for _, m := range ec.Status.Members {
		names = append(names, m.Name)
	}
	return names
}
