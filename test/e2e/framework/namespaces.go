//go:build e2e || olm

package framework

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// NamespaceGoneBound bounds the wait for a deleted test namespace.
const NamespaceGoneBound = 2 * time.Minute

// RestrictedLabels are the Pod Security admission labels of every test
// namespace: the etcd pods must pass the restricted profile, so that a
// regression of their security context fails admission in the suites.
var RestrictedLabels = map[string]string{
	"pod-security.kubernetes.io/enforce":         "restricted",
	"pod-security.kubernetes.io/enforce-version": "latest",
}

// TestNamespace is a namespace object called name with RestrictedLabels
// and the framework's suite label.
func (f *Framework) TestNamespace(name string) *corev1.Namespace {
	labels := maps.Clone(RestrictedLabels)
	if f.SuiteLabel != "" {
		labels[f.SuiteLabel] = "true"
	}
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

// NewNamespace creates a test namespace for one spec, e2e-<prefix>-<random>,
// and deletes it, waiting until it is gone, when the spec ends; a failed
// spec first dumps what happened in it.
func (f *Framework) NewNamespace(ctx context.Context, prefix string) string {
	name := fmt.Sprintf("e2e-%s-%s", prefix, utilrand.String(5))
	gomega.Expect(f.K8s.Create(ctx, f.TestNamespace(name))).To(gomega.Succeed())
	started := time.Now()
	ginkgo.DeferCleanup(func(ctx ginkgo.SpecContext) {
		f.DeleteNamespace(ctx, name, NamespaceGoneBound)
	}, ginkgo.NodeTimeout(NamespaceGoneBound+30*time.Second))
	ginkgo.DeferCleanup(func(ctx ginkgo.SpecContext) {
		if ginkgo.CurrentSpecReport().Failed() {
			f.DumpDiagnostics(ctx, name, started)
		}
	}, ginkgo.NodeTimeout(time.Minute))
	return name
}

// DeleteNamespace deletes the namespace called name, if it exists, and
// waits (at most bound) until it is gone.
func (f *Framework) DeleteNamespace(ctx context.Context, name string, bound time.Duration) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	gomega.Expect(client.IgnoreNotFound(f.K8s.Delete(ctx, ns))).To(gomega.Succeed())
	gomega.Eventually(ctx, func() bool {
		return apierrors.IsNotFound(f.K8s.Get(ctx, client.ObjectKeyFromObject(ns), &corev1.Namespace{}))
	}).WithTimeout(bound).WithPolling(500*time.Millisecond).Should(gomega.BeTrue(), "namespace %s is not gone", name)
}
