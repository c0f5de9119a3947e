package integration

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

const (
	timeout  = 30 * time.Second
	interval = 100 * time.Millisecond
)

func ctrlConfig() config.Controller {
	// Two managers in one process register the same controller name.
	return config.Controller{SkipNameValidation: new(true)}
}

func fieldsNotInNamespace(namespaces ...string) fields.Selector {
	var not []fields.Selector
	for _, ns := range namespaces {
		not = append(not, fields.OneTermNotEqualSelector("metadata.namespace", ns))
	}
	return fields.AndSelectors(not...)
}

var nsCounter int

// newNamespace creates a fresh namespace for one spec.
func newNamespace(ctx context.Context) string {
	nsCounter++
	name := fmt.Sprintf("it-%d-%d", time.Now().UnixNano()%100000, nsCounter)
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	return name
}

// newCluster is a cluster of size members served over plain HTTP: the
// embedded members stand in for pods and serve what the test starts them
// with, not what the chart renders; the TLS tests set their own.
func newCluster(ns, name string, size int32) *etcdv1alpha1.EtcdCluster {
	return &etcdv1alpha1.EtcdCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       etcdv1alpha1.EtcdClusterSpec{Size: size, TLS: etcdv1alpha1.TLSSpec{Provider: etcdv1alpha1.TLSDisabled}},
	}
}

func get(ctx context.Context, ns, name string, obj client.Object) error {
	return k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj)
}

// fetch reads ec from the API server, retrying a transient error (it is
// called inside Eventually blocks, which a failed Expect would end).
func fetch(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) *etcdv1alpha1.EtcdCluster {
	out := &etcdv1alpha1.EtcdCluster{}
	Eventually(func() error { return get(ctx, ec.Namespace, ec.Name, out) }, timeout, interval).Should(Succeed())
	return out
}

func condition(ec *etcdv1alpha1.EtcdCluster, t string) *metav1.Condition {
	return meta.FindStatusCondition(ec.Status.Conditions, t)
}

// reasonOf is the reason of condition t, or "" while it is not set.
func reasonOf(ec *etcdv1alpha1.EtcdCluster, t string) string {
	if c := condition(ec, t); c != nil {
		return c.Reason
	}
	return ""
}

// markPodsReady does what the StatefulSet controller would once the pods
// run: envtest has no controller manager and no kubelet.
func markPodsReady(ctx context.Context, ns, name string) {
	Eventually(func() error {
		sts := &appsv1.StatefulSet{}
		if err := get(ctx, ns, name, sts); err != nil {
			return err
		}
		n := *sts.Spec.Replicas
		sts.Status = appsv1.StatefulSetStatus{
			ObservedGeneration: sts.Generation,
			Replicas:           n, ReadyReplicas: n, AvailableReplicas: n,
			CurrentReplicas: n, UpdatedReplicas: n,
			CurrentRevision: "r1", UpdateRevision: "r1",
		}
		return k8sClient.Status().Update(ctx, sts)
	}, timeout, interval).Should(Succeed())
}

// eventReasons lists the reasons of the events about ec.
func eventReasons(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) []string {
	list := &eventsv1.EventList{}
	if err := k8sClient.List(ctx, list, client.InNamespace(ec.Namespace)); err != nil {
		return nil // inside Eventually: a transient error is retried
	}
	var reasons []string
	for _, e := range list.Items {
		if e.Regarding.Name == ec.Name && e.Regarding.Kind == "EtcdCluster" {
			reasons = append(reasons, e.Reason)
		}
	}
	return reasons
}

// update applies change to a fresh copy of ec, retrying on conflicts with
// the controller's own writes, and returns the API server's final answer.
func update(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, change func(*etcdv1alpha1.EtcdCluster)) error {
	var err error
	for range 20 {
		got := &etcdv1alpha1.EtcdCluster{}
		if err = get(ctx, ec.Namespace, ec.Name, got); err != nil {
			return err
		}
		change(got)
		if err = k8sClient.Update(ctx, got); !apierrors.IsConflict(err) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}
