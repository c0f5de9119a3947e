package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// World reconciles StatefulSets as the StatefulSet controller, the
// kubelet and the members' etcd would: the first time it sees a cluster's
// StatefulSet it bootstraps the cluster's members in the shared server;
// afterwards a member added by the operator starts (publishes its name and
// client URL) once its pod ordinal is below the replicas; then the
// StatefulSet reports every replica ready and updated.
type World struct {
	Client  client.Client
	servers Servers
	clis    map[string]*clientv3.Client
	// Rolled is told each time a StatefulSet's generation moves past the
	// one the world last saw: the operator's act on a spec change.
	Rolled func(key types.NamespacedName, at time.Time)
	seen   map[types.NamespacedName]int64
}

// NewWorld connects to servers.
func NewWorld(c client.Client, servers Servers) (*World, error) {
	w := &World{Client: c, servers: servers, clis: map[string]*clientv3.Client{}, seen: map[types.NamespacedName]int64{}}
	for _, s := range servers {
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{s}, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			w.Close()
			return nil, err
		}
		w.clis[s] = cli
	}
	return w, nil
}

// Close closes the world's etcd clients.
func (w *World) Close() {
	for _, c := range w.clis {
		_ = c.Close()
	}
}

// Reconcile implements reconcile.Reconciler for StatefulSets. It runs with
// one worker, so seen needs no lock.
func (w *World) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	sts := &appsv1.StatefulSet{}
	if err := w.Client.Get(ctx, req.NamespacedName, sts); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	owner := metav1.GetControllerOf(sts)
	if owner == nil || owner.Kind != "EtcdCluster" || sts.Spec.Replicas == nil {
		return reconcile.Result{}, nil
	}
	key := types.NamespacedName{Namespace: sts.Namespace, Name: owner.Name}
	if last, ok := w.seen[key]; ok && sts.Generation > last && w.Rolled != nil {
		w.Rolled(key, time.Now())
	}
	w.seen[key] = sts.Generation
	if err := w.publish(ctx, key, *sts.Spec.Replicas); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{}, w.markReady(ctx, sts)
}

// Forget drops what the world remembers of a deleted cluster.
func (w *World) Forget(key types.NamespacedName) { delete(w.seen, key) }

// publish bootstraps the cluster's members from the first replicas, or
// starts the members whose pods are below replicas.
func (w *World) publish(ctx context.Context, key types.NamespacedName, replicas int32) error {
	cli := w.clis[w.servers.For(key)]
	k := keysOf(key)
	names := resources.For(&etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace}}, "cluster.local")
	resp, err := cli.Get(ctx, k.prefix(), clientv3.WithPrefix())
	if err != nil {
		return err
	}
	if len(resp.Kvs) == 0 {
		ops := []clientv3.Op{clientv3.OpPut(k.id(), hex(rand.Uint64()|1))}
		var first uint64
		for i := range replicas {
			pod := names.Pod(i)
			r := record{ID: rand.Uint64() | 1, Name: pod, PeerURL: Network{}.PeerURL(names, pod), ClientURL: Network{}.ClientURL(names, pod, "")}
			if first == 0 {
				first = r.ID
			}
			ops = append(ops, clientv3.OpPut(k.member(r.ID), encode(r)))
		}
		ops = append(ops, clientv3.OpPut(k.leader(), hex(first)))
		_, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(k.id()), "=", 0)).Then(ops...).Commit()
		return err
	}
	running := map[string]string{}
	for i := range replicas {
		pod := names.Pod(i)
		running[Network{}.PeerURL(names, pod)] = pod
	}
	for _, kv := range resp.Kvs {
		if !k.isMember(string(kv.Key)) {
			continue
		}
		var r record
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			return err
		}
		if pod, ok := running[r.PeerURL]; ok && !r.started() {
			r.Name, r.ClientURL = pod, Network{}.ClientURL(names, pod, "")
			if _, err := cli.Put(ctx, string(kv.Key), encode(r)); err != nil {
				return err
			}
		}
	}
	return nil
}

// markReady reports every replica ready and on the current revision.
func (w *World) markReady(ctx context.Context, sts *appsv1.StatefulSet) error {
	n := *sts.Spec.Replicas
	rev := fmt.Sprintf("r%d", sts.Generation)
	want := appsv1.StatefulSetStatus{
		ObservedGeneration: sts.Generation, Replicas: n, ReadyReplicas: n, AvailableReplicas: n,
		CurrentReplicas: n, UpdatedReplicas: n, CurrentRevision: rev, UpdateRevision: rev,
	}
	if equality.Semantic.DeepEqual(sts.Status, want) {
		return nil
	}
	sts.Status = want
	err := w.Client.Status().Update(ctx, sts)
	if apierrors.IsConflict(err) {
		return nil // a newer version is queued
	}
	return err
}
