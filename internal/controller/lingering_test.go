package controller

import (
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

func TestLingering(t *testing.T) {
	ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Name: "c"}}
	p := &pass{ec: ec, names: resources.For(ec, ""), replicas: 1,
		pods:   map[string]*corev1.Pod{"c-0": {}, "c-1": {}, "c-3": {}, "other-7": {}},
		claims: map[string]*corev1.PersistentVolumeClaim{"c-0": {}, "c-2": {}, "c-01": {}},
	}
	got := lingering(p)
	want := map[string]bool{"c-1": true, "c-2": true, "c-3": true}
	if !maps.Equal(got, want) {
		t.Fatalf("lingering(replicas=1) = %v, want %v (ordinals >= 1 with a pod or a claim; names of other clusters ignored)", got, want)
	}
}
