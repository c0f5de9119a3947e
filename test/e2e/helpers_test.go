//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

const (
	operatorNamespace  = "etcd-operator-system"
	operatorDeployment = framework.OperatorDeployment
	etcdVersion        = "3.7.3"
	// etcd35Version is an etcd whose new members join from the raft log
	// (hack/local-cluster builds its image).
	etcd35Version = "3.5.21"
	// etcd36Version is the 3.6 release the local cluster has an image of.
	etcd36Version = "3.6.16"

	// Bounds of the waits; every wait in the suite has one.
	createBound       = 3 * time.Minute
	recoveryBound     = 2 * time.Minute
	emptyDirBound     = 2 * time.Minute // the operator's EmptyDir replacement
	floorEmptyDirWait = time.Minute     // a static EmptyDir member never recovers
	statusBound       = 75 * time.Second
	goneBound         = framework.NamespaceGoneBound
	specTimeout       = 10 * time.Minute
)

// operatorPodLabels select the operator's pods (config/manager).
var operatorPodLabels = framework.OperatorPodLabels

// newEtcdCluster is an EtcdCluster of size members at the suite's version,
// with PersistentVolume storage unless a mutator says otherwise. It is
// served over plain HTTP, to be compared with the floor (the chart alone,
// without TLS); withTLS gives the product's default, tls_test.go's specs.
func newEtcdCluster(ns, name string, size int32, mutators ...func(*etcdv1alpha1.EtcdCluster)) *etcdv1alpha1.EtcdCluster {
	ec := &etcdv1alpha1.EtcdCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: etcdv1alpha1.EtcdClusterSpec{Size: size, Version: etcdVersion,
			TLS: etcdv1alpha1.TLSSpec{Provider: etcdv1alpha1.TLSDisabled}},
	}
	for _, m := range mutators {
		m(ec)
	}
	return ec
}

// withTLS leaves TLS to its default: certificates issued by the operator.
func withTLS(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.TLS.Provider = "" }

// dialerOf is the dialer of t's members (TLS with the client Secret, or HTTP).
func dialerOf(ctx context.Context, t target) framework.Dialer {
	d, err := fw.DialerOf(ctx, t)
	Expect(err).NotTo(HaveOccurred())
	return d
}

func emptyDir(ec *etcdv1alpha1.EtcdCluster) {
	ec.Spec.Storage.Type = etcdv1alpha1.StorageEmptyDir
}

func storageType(ec *etcdv1alpha1.EtcdCluster) etcdv1alpha1.StorageType {
	if ec.Spec.Storage.Type == "" {
		return etcdv1alpha1.StoragePersistentVolume
	}
	return ec.Spec.Storage.Type
}

// createCluster applies ec and waits until it is Running and all its
// members are healthy in etcd, recording both times since the apply.
func createCluster(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) target {
	t0 := time.Now()
	Expect(k8s.Create(ctx, ec)).To(Succeed())
	running, healthy, err := awaitCreated(ctx, ec, t0, createBound)
	recordCreation(ec, running, healthy)
	Expect(err).NotTo(HaveOccurred(), "%d-member cluster %s/%s not Running and healthy within %s", ec.Spec.Size, ec.Namespace, ec.Name, createBound)
	return targetOf(ec)
}

// deletePod deletes one member pod (gracefully, as an eviction would) and
// returns the time of the deletion.
func deletePod(ctx context.Context, ns, name string) time.Time {
	t0 := time.Now()
	Expect(k8s.Delete(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})).To(Succeed())
	return t0
}

// deleteAllPods deletes every member pod of t at once; the claims stay.
func deleteAllPods(ctx context.Context, t target) time.Time {
	t0 := time.Now()
	Expect(k8s.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(t.Namespace), t.PodLabels())).To(Succeed())
	return t0
}

// killOperator force-deletes the operator's pods, as
// `kubectl delete pod --grace-period=0 --force` does.
func killOperator(ctx context.Context) {
	Expect(k8s.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(operatorNamespace), operatorPodLabels,
		client.GracePeriodSeconds(0))).To(Succeed())
}

// waitForGone waits until obj no longer exists.
func waitForGone(ctx context.Context, obj client.Object) {
	Eventually(ctx, func() error {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("%T %s still exists", obj, obj.GetName())
	}).WithTimeout(goneBound).WithPolling(250 * time.Millisecond).Should(Succeed())
}

// claimsOf lists t's PersistentVolumeClaims that are not being deleted.
func claimsOf(ctx context.Context, t target) []corev1.PersistentVolumeClaim {
	list := &corev1.PersistentVolumeClaimList{}
	Expect(k8s.List(ctx, list, client.InNamespace(t.Namespace), t.PodLabels())).To(Succeed())
	var live []corev1.PersistentVolumeClaim
	for _, c := range list.Items {
		if c.DeletionTimestamp.IsZero() {
			live = append(live, c)
		}
	}
	return live
}

// helmBinary is the pinned helm of hack/tools.mk, built on first use.
func helmBinary(ctx context.Context) string {
	if h := os.Getenv("E2E_HELM"); h != "" {
		return h
	}
	out, err := exec.CommandContext(ctx, "make", "-s", "-C", repoRoot, "-f", "hack/tools.mk", "helm").Output()
	Expect(err).NotTo(HaveOccurred(), "building helm")
	return strings.TrimSpace(string(out))
}

// helmInstall installs the etcd-cluster chart as release in ns, without
// waiting for anything, and returns how long helm took.
func helmInstall(ctx context.Context, ns, release string, set ...string) time.Duration {
	args := []string{"install", release, filepath.Join(repoRoot, "helm-charts", "etcd-cluster"), "-n", ns, "--wait=false"}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	return helmRun(ctx, args...)
}

// helmRun runs helm (bounded to a minute) and returns how long it took.
func helmRun(ctx context.Context, args ...string) time.Duration {
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(cctx, helmBinary(ctx), args...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "helm %s:\n%s", strings.Join(args, " "), out)
	return time.Since(start)
}

// expectNoPods waits until t has no pod left, not even a terminating one.
func expectNoPods(ctx context.Context, t target) {
	Eventually(ctx, func() ([]corev1.Pod, error) {
		list := &corev1.PodList{}
		err := k8s.List(ctx, list, client.InNamespace(t.Namespace), t.PodLabels())
		return list.Items, err
	}).WithTimeout(goneBound).WithPolling(250*time.Millisecond).Should(BeEmpty(), "pods of %s/%s", t.Namespace, t.Instance)
}

// podUIDs maps the named pods to their UIDs in st, to recognize them once recreated.
func podUIDs(st clusterState, names ...string) map[string]types.UID {
	out := map[string]types.UID{}
	for _, m := range st.Members {
		for _, n := range names {
			if m.Pod == n {
				out[n] = m.PodUID
			}
		}
	}
	return out
}

// expectRunning waits until ec's status says Running with all its members ready.
func expectRunning(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, bound time.Duration) {
	Eventually(ctx, func(g Gomega) {
		got, err := fw.FetchCluster(ctx, ec)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Status.Phase).To(Equal(etcdv1alpha1.PhaseRunning))
		g.Expect(got.Status.ReadyMembers).To(Equal(got.Spec.Size))
	}).WithTimeout(bound).WithPolling(500*time.Millisecond).Should(Succeed(), "%s/%s Running with all members ready", ec.Namespace, ec.Name)
}

// expectOperatorAvailable waits until the operator Deployment runs its
// current pod template, available, with no other pod left.
func expectOperatorAvailable(ctx context.Context, bound time.Duration) {
	Eventually(ctx, func(g Gomega) {
		fw.OperatorAvailable(ctx, g, operatorNamespace)
	}).WithTimeout(bound).WithPolling(time.Second).Should(Succeed(), "operator Deployment %s/%s available", operatorNamespace, operatorDeployment)
}

// expectOperatorLeading waits until the operator's only pod holds the
// leader-election lease, so that measurements do not include a hand-over.
func expectOperatorLeading(ctx context.Context, bound time.Duration) {
	Eventually(ctx, func(g Gomega) {
		fw.OperatorLeads(ctx, g, operatorNamespace)
	}).WithTimeout(bound).WithPolling(500*time.Millisecond).Should(Succeed(), "the operator pod leads")
}

// operatorPods lists the operator's pods.
func operatorPods(ctx context.Context) []corev1.Pod {
	pods := &corev1.PodList{}
	Expect(k8s.List(ctx, pods, client.InNamespace(operatorNamespace), operatorPodLabels)).To(Succeed())
	return pods.Items
}

// updateCluster applies change to a fresh copy of ec, retrying on
// conflicts with the operator's status writes, and returns the API
// server's answer.
func updateCluster(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, change func(*etcdv1alpha1.EtcdCluster)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		got, err := fw.FetchCluster(ctx, ec)
		if err != nil {
			return err
		}
		change(got)
		return k8s.Update(ctx, got)
	})
}
