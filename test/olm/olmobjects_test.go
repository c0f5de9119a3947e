//go:build olm

package olm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

// --- OLM objects ----------------------------------------------------------------------

func newObject(gvk schema.GroupVersionKind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

func getObject(ctx context.Context, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u)).To(Succeed())
	return u
}

func str(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, path...)
	return s
}

// createCatalogAndGroup creates ns's CatalogSource, serving version's catalog,
// and its OperatorGroup (targets nil: AllNamespaces), waits until the catalog
// is ready, and returns the seconds that took.
func createCatalogAndGroup(ctx context.Context, ns, version string, targets []string) float64 {
	By(fmt.Sprintf("creating the CatalogSource (catalog %s) and an OperatorGroup in %s targeting %q", version, ns, targets))
	t0 := time.Now()
	Expect(k8s.Create(ctx, newCatalogSource(ns, published.Catalogs[version]))).To(Succeed())
	spec := map[string]any{}
	if targets != nil {
		list := make([]any, len(targets)) // unstructured content holds []any
		for i, t := range targets {
			list[i] = t
		}
		spec["targetNamespaces"] = list
	}
	Expect(k8s.Create(ctx, newObject(operatorGroupGVK, ns, "etcd-operator", spec))).To(Succeed())
	waitCatalogReady(ctx, ns, published.Catalogs[version], 3*time.Minute)
	return since(t0)
}

// subscribe subscribes ns to version, waits until its CSV Succeeded and the
// operator leads on version's image, checks the OperatorGroup's target
// namespaces, and returns the operator pod and the seconds to Succeeded.
func subscribe(ctx context.Context, ns, version string, targets []string) (corev1.Pod, float64) {
	t0 := time.Now()
	Expect(k8s.Create(ctx, newSubscription(ns, version))).To(Succeed())
	waitInstalled(ctx, ns, csvName(version), 5*time.Minute)
	took := since(t0)
	report("%s: Subscription created -> CSV %s Succeeded: %.1fs", ns, csvName(version), took)

	By("checking the operator Deployment runs the published image and leads")
	pod := expectOperatorLeading(ctx, ns, 2*time.Minute)
	Expect(pod.Spec.Containers[0].Image).To(Equal(published.Operators[version]))
	og := getObject(ctx, operatorGroupGVK, ns, "etcd-operator")
	got, _, _ := unstructured.NestedStringSlice(og.Object, "status", "namespaces")
	Expect(got).To(Equal(targets), "the OperatorGroup's target namespaces")
	return pod, took
}

// createSample creates the 3-member sample in ns and waits until it is Running.
func createSample(ctx context.Context, ns string) *etcdv1alpha1.EtcdCluster {
	raw, err := os.ReadFile(filepath.Join(repoRoot, sampleFile))
	Expect(err).NotTo(HaveOccurred())
	sample := &etcdv1alpha1.EtcdCluster{}
	Expect(yaml.UnmarshalStrict(raw, sample)).To(Succeed())
	sample.Namespace = ns
	Expect(sample.Spec.Size).To(BeEquivalentTo(3))

	t0 := time.Now()
	Expect(k8s.Create(ctx, sample)).To(Succeed())
	Eventually(ctx, func(g Gomega) {
		got := fetchCluster(ctx, g, sample)
		g.Expect(got.Status.Phase).To(Equal(etcdv1alpha1.PhaseRunning))
		g.Expect(got.Status.ReadyMembers).To(Equal(got.Spec.Size))
	}).WithTimeout(5*time.Minute).WithPolling(poll).Should(Succeed(), "%s Running with 3 ready members", sampleFile)
	report("%s: sample applied -> Running with 3 ready members: %.1fs", ns, since(t0))
	return sample
}

// newCatalogSource is the CatalogSource of ns that serves the catalog image.
func newCatalogSource(ns, image string) *unstructured.Unstructured {
	return newObject(catalogSourceGVK, ns, catalogName, map[string]any{
		"sourceType":    "grpc",
		"image":         image,
		"displayName":   "etcd-operator (local registry)",
		"publisher":     "etcd-operator",
		"grpcPodConfig": map[string]any{"securityContextConfig": "restricted"},
	})
}

// newSubscription subscribes ns to the package from ns's CatalogSource, starting at version.
func newSubscription(ns, version string) *unstructured.Unstructured {
	return newObject(subscriptionGVK, ns, packageName, map[string]any{
		"channel":             "alpha",
		"name":                packageName,
		"source":              catalogName,
		"sourceNamespace":     ns,
		"installPlanApproval": "Automatic",
		"startingCSV":         csvName(version),
	})
}

// waitCatalogReady waits until the CatalogSource of ns serves image and its connection is READY.
func waitCatalogReady(ctx context.Context, ns, image string, bound time.Duration) {
	Eventually(ctx, func(g Gomega) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(catalogSourceGVK)
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: catalogName}, u)).To(Succeed())
		g.Expect(str(u, "status", "connectionState", "lastObservedState")).To(Equal("READY"))
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"olm.catalogSource": catalogName})).To(Succeed())
		g.Expect(pods.Items).NotTo(BeEmpty())
		for _, p := range pods.Items {
			g.Expect(p.Spec.Containers[0].Image).To(Equal(image))
		}
	}).WithTimeout(bound).WithPolling(poll).Should(Succeed(), "CatalogSource %s READY with %s", catalogName, image)
}

// waitInstalled waits until the Subscription of ns has installed csv and the CSV Succeeded.
func waitInstalled(ctx context.Context, ns, csv string, bound time.Duration) {
	Eventually(ctx, func(g Gomega) {
		sub := &unstructured.Unstructured{}
		sub.SetGroupVersionKind(subscriptionGVK)
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: packageName}, sub)).To(Succeed())
		g.Expect(str(sub, "status", "installedCSV")).To(Equal(csv), "Subscription state %q", str(sub, "status", "state"))
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(csvGVK)
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: csv}, u)).To(Succeed())
		g.Expect(str(u, "status", "phase")).To(Equal("Succeeded"), "CSV %s: %s", csv, str(u, "status", "message"))
	}).WithTimeout(bound).WithPolling(poll).Should(Succeed(), "CSV %s installed", csv)
}

// expectOperatorLeading waits until the operator Deployment that OLM installed in ns
// is available with a single pod that holds the leader-election lease, and returns it.
func expectOperatorLeading(ctx context.Context, ns string, bound time.Duration) corev1.Pod {
	var pod corev1.Pod
	Eventually(ctx, func(g Gomega) {
		fw.OperatorAvailable(ctx, g, ns)
		pod = fw.OperatorLeads(ctx, g, ns)
	}).WithTimeout(bound).WithPolling(poll).Should(Succeed(), "the OLM-installed operator leads")
	return pod
}

// --- setup and cleanup -------------------------------------------------------------------

// operatorLog is the log of the operator's pod.
func operatorLog(ctx context.Context, pod *corev1.Pod) (string, error) {
	raw, err := fw.Clientset.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: pod.Spec.Containers[0].Name}).DoRaw(ctx)
	return string(raw), err
}

// scaleDownDefaultOperator scales config/default's operator to 0 (if deployed)
// and registers the cleanup that scales it back and waits until it is available.
func scaleDownDefaultOperator(ctx context.Context) {
	d := &appsv1.Deployment{}
	key := client.ObjectKey{Namespace: defaultNamespace, Name: operatorDeployment}
	err := k8s.Get(ctx, key, d)
	if apierrors.IsNotFound(err) {
		By("config/default's operator is not deployed: nothing to scale down")
		return
	}
	Expect(err).NotTo(HaveOccurred())
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	DeferCleanup(func(ctx SpecContext) {
		By(fmt.Sprintf("restoring config/default's operator (%s/%s) to %d replicas", defaultNamespace, operatorDeployment, replicas))
		setReplicas(ctx, key, replicas)
		Eventually(ctx, func(g Gomega) {
			d := &appsv1.Deployment{}
			g.Expect(k8s.Get(ctx, key, d)).To(Succeed())
			g.Expect(d.Status.ObservedGeneration).To(Equal(d.Generation))
			g.Expect(d.Status.Replicas).To(Equal(replicas))
			g.Expect(d.Status.AvailableReplicas).To(Equal(replicas), "pods: %s", podStates(ctx, defaultNamespace, operatorPodLabel))
		}).WithTimeout(3*time.Minute).WithPolling(poll).Should(Succeed(), "config/default's operator available again")
	}, NodeTimeout(4*time.Minute))

	By(fmt.Sprintf("scaling config/default's operator (%s/%s) from %d to 0 replicas", defaultNamespace, operatorDeployment, replicas))
	setReplicas(ctx, key, 0)
	Eventually(ctx, func(g Gomega) {
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(defaultNamespace), operatorPodLabel)).To(Succeed())
		g.Expect(pods.Items).To(BeEmpty(), "config/default's operator pods gone")
	}).WithTimeout(2 * time.Minute).WithPolling(poll).Should(Succeed())
}

func setReplicas(ctx context.Context, key client.ObjectKey, n int32) {
	d := &appsv1.Deployment{}
	Expect(k8s.Get(ctx, key, d)).To(Succeed())
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Replicas = &n
	Expect(k8s.Patch(ctx, d, patch)).To(Succeed())
}

// recreateNamespace creates ns, after deleting what a previous run left
// (OLM's objects first). A restricted namespace is a test namespace, with the
// framework's Pod Security labels.
func recreateNamespace(ctx context.Context, name string, restricted bool) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(ns), ns); err == nil {
		_, _ = fmt.Fprintf(GinkgoWriter, "namespace %s left by a previous run: deleting it\n", name)
		removeOLMObjects(ctx, name)
		deleteNamespace(ctx, name)
	}
	created := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if restricted {
		created = fw.TestNamespace(name)
	}
	Expect(k8s.Create(ctx, created)).To(Succeed())
}

func deleteNamespace(ctx context.Context, name string) {
	fw.DeleteNamespace(ctx, name, 3*time.Minute)
}

// removeSample deletes the EtcdCluster while its operator still runs (it holds a
// finalizer).
func removeSample(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) {
	if ec != nil {
		By("deleting the sample EtcdCluster")
		Expect(client.IgnoreNotFound(k8s.Delete(ctx, ec))).To(Succeed())
		gone := func() bool {
			return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(ec), &etcdv1alpha1.EtcdCluster{}))
		}
		if fail := InterceptGomegaFailure(func() {
			Eventually(ctx, gone).WithTimeout(2 * time.Minute).WithPolling(poll).Should(BeTrue())
		}); fail != nil {
			// No operator to finalize it (the install failed): let it go.
			_, _ = fmt.Fprintf(GinkgoWriter, "EtcdCluster not finalized in 2m, removing its finalizers: %v\n", fail)
			got := &etcdv1alpha1.EtcdCluster{}
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(ec), got); err == nil {
				patch := client.MergeFrom(got.DeepCopy())
				got.Finalizers = nil
				Expect(client.IgnoreNotFound(k8s.Patch(ctx, got, patch))).To(Succeed())
			}
		}
	}
}

// removeOLMInstall deletes what the spec made OLM install in ns, then ns.
func removeOLMInstall(ctx SpecContext, ns string) {
	By("deleting the Subscription, the CSVs, the CatalogSource and the OperatorGroup of " + ns)
	removeOLMObjects(ctx, ns)
	By("deleting namespace " + ns)
	deleteNamespace(ctx, ns)
}

func removeOLMObjects(ctx context.Context, ns string) {
	// The Subscription first, so that OLM does not install the CSV again.
	for _, gvk := range []schema.GroupVersionKind{subscriptionGVK, csvGVK, installPlanGVK, catalogSourceGVK, operatorGroupGVK} {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		Expect(client.IgnoreNotFound(k8s.DeleteAllOf(ctx, u, client.InNamespace(ns)))).To(Succeed())
	}
	// The CSVs' finalizer is OLM's: wait until it let them go (and their copies elsewhere).
	Eventually(ctx, func(g Gomega) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(csvGVK)
		g.Expect(k8s.List(ctx, list, client.MatchingLabels{"olm.copiedFrom": ns})).To(Succeed())
		g.Expect(list.Items).To(BeEmpty(), "copied CSVs")
		g.Expect(k8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
		g.Expect(list.Items).To(BeEmpty(), "CSVs")
	}).WithTimeout(2 * time.Minute).WithPolling(poll).Should(Succeed())
	Eventually(ctx, func(g Gomega) {
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(ns), operatorPodLabel)).To(Succeed())
		g.Expect(pods.Items).To(BeEmpty(), "the OLM-installed operator's pods")
	}).WithTimeout(2 * time.Minute).WithPolling(poll).Should(Succeed())
}

// dumpDiagnostics prints what explains a failure: OLM's objects and the
// pods of olmNS, then the framework's diagnostics of the sample's
// namespace (the EtcdCluster, pods, events, etcd and operator logs).
func dumpDiagnostics(ctx context.Context, olmNS, sampleNS string, since time.Time) {
	w := GinkgoWriter
	_, _ = fmt.Fprintln(w, "===== diagnostics")
	for _, gvk := range []schema.GroupVersionKind{catalogSourceGVK, subscriptionGVK, installPlanGVK, csvGVK} {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk)
		if err := k8s.List(ctx, list, client.InNamespace(olmNS)); err != nil {
			_, _ = fmt.Fprintf(w, "%s: %v\n", gvk.Kind, err)
			continue
		}
		for _, u := range list.Items {
			status, _ := yaml.Marshal(u.Object["status"])
			_, _ = fmt.Fprintf(w, "--- %s %s status:\n%s", gvk.Kind, u.GetName(), status)
		}
	}
	_, _ = fmt.Fprintln(w, podStates(ctx, olmNS, nil))
	events := &corev1.EventList{}
	if err := k8s.List(ctx, events, client.InNamespace(olmNS)); err == nil {
		for _, e := range events.Items {
			_, _ = fmt.Fprintf(w, "event %s/%s %s %s: %s\n", olmNS, e.InvolvedObject.Name, e.Type, e.Reason, e.Message)
		}
	}
	fw.DumpDiagnostics(ctx, sampleNS, since)
}

// podStates is one line per pod of ns matching labels.
func podStates(ctx context.Context, ns string, labels client.MatchingLabels) string {
	pods := &corev1.PodList{}
	if err := k8s.List(ctx, pods, client.InNamespace(ns), labels); err != nil {
		return err.Error()
	}
	lines := make([]string, 0, len(pods.Items))
	for _, p := range pods.Items {
		lines = append(lines, framework.PodLine(p))
	}
	return strings.Join(lines, "\n")
}

// report prints a timing line both to the spec's output and as a report entry.
func report(format string, args ...any) {
	AddReportEntry(fmt.Sprintf(format, args...))
	_, _ = fmt.Fprintf(GinkgoWriter, format+"\n", args...)
}
