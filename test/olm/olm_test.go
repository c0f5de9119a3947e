//go:build olm

package olm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
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
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

const (
	packageName = "etcd-operator"
	fromVersion = "0.1.0" // bundle/ itself
	toVersion   = "0.1.1" // a patched copy that replaces it (hack/olm/publish.sh)
	// olmNamespace holds the CatalogSource, the OperatorGroup (AllNamespaces, which the
	// CSV supports), the Subscription and so the operator; sampleNamespace the EtcdCluster.
	olmNamespace    = "etcd-operator-olm"
	sampleNamespace = "etcd-operator-olm-sample"
	catalogName     = "etcd-operator-local"
	sampleFile      = "config/samples/etcd_v1alpha1_etcdcluster_3.yaml"
	// The operator that config/default deployed, and the Deployment that the CSV makes.
	defaultNamespace   = "etcd-operator-system"
	operatorDeployment = framework.OperatorDeployment
	poll               = 500 * time.Millisecond
)

var (
	catalogSourceGVK = schema.GroupVersionKind{Group: "operators.coreos.com", Version: "v1alpha1", Kind: "CatalogSource"}
	subscriptionGVK  = schema.GroupVersionKind{Group: "operators.coreos.com", Version: "v1alpha1", Kind: "Subscription"}
	csvGVK           = schema.GroupVersionKind{Group: "operators.coreos.com", Version: "v1alpha1", Kind: "ClusterServiceVersion"}
	installPlanGVK   = schema.GroupVersionKind{Group: "operators.coreos.com", Version: "v1alpha1", Kind: "InstallPlan"}
	operatorGroupGVK = schema.GroupVersionKind{Group: "operators.coreos.com", Version: "v1", Kind: "OperatorGroup"}
	operatorPodLabel = framework.OperatorPodLabels
)

func csvName(version string) string { return packageName + ".v" + version }

var _ = Describe("the operator installed through OLM", Ordered, Label("olm", "slow"), func() {
	var (
		sample *etcdv1alpha1.EtcdCluster
		before etcdState
	)

	BeforeAll(func(ctx SpecContext) {
		// Cleanups run in reverse order: the sample goes first (its finalizer needs the
		// OLM-installed operator), then the OLM objects, then config/default's operator
		// comes back.
		scaleDownDefaultOperator(ctx)

		By("creating namespace " + olmNamespace)
		recreateNamespace(ctx, olmNamespace)
		DeferCleanup(removeOLMInstall, NodeTimeout(6*time.Minute))

		By("creating namespace " + sampleNamespace)
		recreateNamespace(ctx, sampleNamespace)
		DeferCleanup(func(ctx SpecContext) { removeSample(ctx, sample) }, NodeTimeout(5*time.Minute))

		By("creating the CatalogSource (catalog " + fromVersion + ") and an AllNamespaces OperatorGroup")
		t0 := time.Now()
		Expect(k8s.Create(ctx, newObject(catalogSourceGVK, olmNamespace, catalogName, map[string]any{
			"sourceType":    "grpc",
			"image":         published.Catalogs[fromVersion],
			"displayName":   "etcd-operator (local registry)",
			"publisher":     "etcd-operator",
			"grpcPodConfig": map[string]any{"securityContextConfig": "restricted"},
		}))).To(Succeed())
		Expect(k8s.Create(ctx, newObject(operatorGroupGVK, olmNamespace, "etcd-operator", map[string]any{}))).To(Succeed())
		waitCatalogReady(ctx, published.Catalogs[fromVersion], 3*time.Minute)
		timings["catalogReadySeconds"] = since(t0)
	}, NodeTimeout(8*time.Minute))

	AfterEach(func(ctx SpecContext) {
		if CurrentSpecReport().Failed() {
			dumpDiagnostics(ctx, CurrentSpecReport().StartTime)
		}
	})

	It("installs "+csvName(fromVersion)+" from the catalog through a Subscription", Label("install"), func(ctx SpecContext) {
		t0 := time.Now()
		Expect(k8s.Create(ctx, newObject(subscriptionGVK, olmNamespace, packageName, map[string]any{
			"channel":             "alpha",
			"name":                packageName,
			"source":              catalogName,
			"sourceNamespace":     olmNamespace,
			"installPlanApproval": "Automatic",
			"startingCSV":         csvName(fromVersion),
		}))).To(Succeed())
		waitInstalled(ctx, csvName(fromVersion), 5*time.Minute)
		timings["installToCSVSucceededSeconds"] = since(t0)
		report("Subscription created -> CSV %s Succeeded: %.1fs", csvName(fromVersion), timings["installToCSVSucceededSeconds"])

		By("checking the operator Deployment runs the published image and leads")
		pod := expectOperatorLeading(ctx, 2*time.Minute)
		Expect(pod.Spec.Containers[0].Image).To(Equal(published.Operators[fromVersion]))
		og := getObject(ctx, operatorGroupGVK, olmNamespace, "etcd-operator")
		targets, _, _ := unstructured.NestedStringSlice(og.Object, "status", "namespaces")
		Expect(targets).To(Equal([]string{""}), "an AllNamespaces OperatorGroup")
	}, NodeTimeout(8*time.Minute))

	It("runs the 3-member sample EtcdCluster", Label("smoke"), func(ctx SpecContext) {
		raw, err := os.ReadFile(filepath.Join(repoRoot, sampleFile))
		Expect(err).NotTo(HaveOccurred())
		sample = &etcdv1alpha1.EtcdCluster{}
		Expect(yaml.UnmarshalStrict(raw, sample)).To(Succeed())
		sample.Namespace = sampleNamespace
		Expect(sample.Spec.Size).To(BeEquivalentTo(3))

		t0 := time.Now()
		Expect(k8s.Create(ctx, sample)).To(Succeed())
		Eventually(ctx, func(g Gomega) {
			got := fetchCluster(ctx, g, sample)
			g.Expect(got.Status.Phase).To(Equal(etcdv1alpha1.PhaseRunning))
			g.Expect(got.Status.ReadyMembers).To(Equal(got.Spec.Size))
		}).WithTimeout(5*time.Minute).WithPolling(poll).Should(Succeed(), "%s Running with 3 ready members", sampleFile)
		timings["sampleToRunningSeconds"] = since(t0)
		report("sample applied -> Running with 3 ready members: %.1fs", timings["sampleToRunningSeconds"])

		By("checking etcd itself through clientv3 at the pods' IPs")
		Eventually(ctx, func() error {
			var err error
			before, err = observeEtcd(ctx, sample)
			return err
		}).WithTimeout(time.Minute).WithPolling(poll).Should(Succeed())
		timings["sampleToHealthySeconds"] = since(t0)
		_, _ = fmt.Fprintf(GinkgoWriter, "etcd: %s\n", before)
	}, NodeTimeout(7*time.Minute))

	It("upgrades to "+csvName(toVersion)+" and leaves the EtcdCluster untouched", Label("upgrade"), func(ctx SpecContext) {
		oldPod := expectOperatorLeading(ctx, time.Minute)

		// Watch the EtcdCluster through the whole upgrade: any other phase, fewer
		// ready members or another set of pods is a change.
		watchCtx, stopWatch := context.WithCancel(ctx)
		changes := watchUntouched(watchCtx, sample, before)
		defer stopWatch()

		By("moving the CatalogSource to catalog " + toVersion)
		t0 := time.Now()
		cs := getObject(ctx, catalogSourceGVK, olmNamespace, catalogName)
		patch := client.MergeFrom(cs.DeepCopy())
		Expect(unstructured.SetNestedField(cs.Object, published.Catalogs[toVersion], "spec", "image")).To(Succeed())
		Expect(k8s.Patch(ctx, cs, patch)).To(Succeed())

		waitInstalled(ctx, csvName(toVersion), 6*time.Minute)
		timings["upgradeToCSVSucceededSeconds"] = since(t0)
		report("upgrade (CatalogSource moved) -> CSV %s Succeeded: %.1fs", csvName(toVersion), timings["upgradeToCSVSucceededSeconds"])

		By("waiting for the replaced CSV to go and the new operator pod to lead")
		Eventually(ctx, func() bool {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(csvGVK)
			return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKey{Namespace: olmNamespace, Name: csvName(fromVersion)}, u))
		}).WithTimeout(3*time.Minute).WithPolling(poll).Should(BeTrue(), "CSV %s deleted after the upgrade", csvName(fromVersion))
		newPod := expectOperatorLeading(ctx, 3*time.Minute)
		Expect(newPod.UID).NotTo(Equal(oldPod.UID), "the upgrade rolled the operator pod")
		Expect(published.Operators[toVersion]).NotTo(Equal(published.Operators[fromVersion]), "the two bundles' operator images")
		Expect(oldPod.Spec.Containers[0].Image).To(Equal(published.Operators[fromVersion]))
		Expect(newPod.Spec.Containers[0].Image).To(Equal(published.Operators[toVersion]), "the upgrade runs the new operator image")
		By("checking that the new code runs: the operator logs its version " + toVersion)
		Eventually(ctx, func() (string, error) { return operatorLog(ctx, &newPod) }).
			WithTimeout(time.Minute).WithPolling(poll).Should(MatchRegexp(`"version":\s*"` + regexp.QuoteMeta(toVersion) + `"`))
		timings["upgradeToNewOperatorLeadingSeconds"] = since(t0)

		By("giving the new operator time to reconcile, then comparing with before the upgrade")
		Consistently(ctx, func(g Gomega) {
			got := fetchCluster(ctx, g, sample)
			g.Expect(got.Status.Phase).To(Equal(etcdv1alpha1.PhaseRunning))
			g.Expect(got.Status.ReadyMembers).To(Equal(got.Spec.Size))
		}).WithTimeout(20 * time.Second).WithPolling(poll).Should(Succeed())
		stopWatch()
		Expect(<-changes).To(BeEmpty(), "the EtcdCluster changed during the upgrade")

		var after etcdState
		Eventually(ctx, func() error {
			var err error
			after, err = observeEtcd(ctx, sample)
			return err
		}).WithTimeout(30 * time.Second).WithPolling(poll).Should(Succeed())
		_, _ = fmt.Fprintf(GinkgoWriter, "etcd after the upgrade: %s\n", after)
		Expect(after.PodUIDs).To(Equal(before.PodUIDs), "pod UIDs")
		Expect(after.MemberIDs).To(Equal(before.MemberIDs), "member IDs (clientv3)")
		Expect(after.StatusIDs).To(Equal(before.StatusIDs), "member IDs (EtcdCluster status)")
		Expect(after.ClusterID).To(Equal(before.ClusterID), "cluster ID")
	}, NodeTimeout(12*time.Minute))
})

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

// waitCatalogReady waits until the CatalogSource serves image and its connection is READY.
func waitCatalogReady(ctx context.Context, image string, bound time.Duration) {
	Eventually(ctx, func(g Gomega) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(catalogSourceGVK)
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: olmNamespace, Name: catalogName}, u)).To(Succeed())
		g.Expect(str(u, "status", "connectionState", "lastObservedState")).To(Equal("READY"))
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(olmNamespace), client.MatchingLabels{"olm.catalogSource": catalogName})).To(Succeed())
		g.Expect(pods.Items).NotTo(BeEmpty())
		for _, p := range pods.Items {
			g.Expect(p.Spec.Containers[0].Image).To(Equal(image))
		}
	}).WithTimeout(bound).WithPolling(poll).Should(Succeed(), "CatalogSource %s READY with %s", catalogName, image)
}

// waitInstalled waits until the Subscription has installed csv and the CSV Succeeded.
func waitInstalled(ctx context.Context, csv string, bound time.Duration) {
	Eventually(ctx, func(g Gomega) {
		sub := &unstructured.Unstructured{}
		sub.SetGroupVersionKind(subscriptionGVK)
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: olmNamespace, Name: packageName}, sub)).To(Succeed())
		g.Expect(str(sub, "status", "installedCSV")).To(Equal(csv), "Subscription state %q", str(sub, "status", "state"))
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(csvGVK)
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: olmNamespace, Name: csv}, u)).To(Succeed())
		g.Expect(str(u, "status", "phase")).To(Equal("Succeeded"), "CSV %s: %s", csv, str(u, "status", "message"))
	}).WithTimeout(bound).WithPolling(poll).Should(Succeed(), "CSV %s installed", csv)
}

// expectOperatorLeading waits until the OLM-installed operator Deployment is
// available with a single pod that holds the leader-election lease, and returns it.
func expectOperatorLeading(ctx context.Context, bound time.Duration) corev1.Pod {
	var pod corev1.Pod
	Eventually(ctx, func(g Gomega) {
		fw.OperatorAvailable(ctx, g, olmNamespace)
		pod = fw.OperatorLeads(ctx, g, olmNamespace)
	}).WithTimeout(bound).WithPolling(poll).Should(Succeed(), "the OLM-installed operator leads")
	return pod
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

// recreateNamespace creates ns, after deleting what a previous run left.
// The sample's namespace is a test namespace, with the framework's Pod
// Security labels (restricted); the operator's is not.
func recreateNamespace(ctx context.Context, name string) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(ns), ns); err == nil {
		_, _ = fmt.Fprintf(GinkgoWriter, "namespace %s left by a previous run: deleting it\n", name)
		if name == olmNamespace {
			removeOLMObjects(ctx)
		}
		deleteNamespace(ctx, name)
	}
	created := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if name == sampleNamespace {
		created = fw.TestNamespace(name)
	}
	Expect(k8s.Create(ctx, created)).To(Succeed())
}

func deleteNamespace(ctx context.Context, name string) {
	fw.DeleteNamespace(ctx, name, 3*time.Minute)
}

// removeSample deletes the EtcdCluster while its operator still runs (it holds a
// finalizer), then the namespace.
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
	By("deleting namespace " + sampleNamespace)
	deleteNamespace(ctx, sampleNamespace)
}

// removeOLMInstall deletes what the spec made OLM install, then its namespace.
func removeOLMInstall(ctx SpecContext) {
	By("deleting the Subscription, the CSVs, the CatalogSource and the OperatorGroup")
	removeOLMObjects(ctx)
	By("deleting namespace " + olmNamespace)
	deleteNamespace(ctx, olmNamespace)
}

func removeOLMObjects(ctx context.Context) {
	// The Subscription first, so that OLM does not install the CSV again.
	for _, gvk := range []schema.GroupVersionKind{subscriptionGVK, csvGVK, installPlanGVK, catalogSourceGVK, operatorGroupGVK} {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		Expect(client.IgnoreNotFound(k8s.DeleteAllOf(ctx, u, client.InNamespace(olmNamespace)))).To(Succeed())
	}
	// The CSVs' finalizer is OLM's: wait until it let them go (and their copies elsewhere).
	Eventually(ctx, func(g Gomega) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(csvGVK)
		g.Expect(k8s.List(ctx, list, client.MatchingLabels{"olm.copiedFrom": olmNamespace})).To(Succeed())
		g.Expect(list.Items).To(BeEmpty(), "copied CSVs")
		g.Expect(k8s.List(ctx, list, client.InNamespace(olmNamespace))).To(Succeed())
		g.Expect(list.Items).To(BeEmpty(), "CSVs")
	}).WithTimeout(2 * time.Minute).WithPolling(poll).Should(Succeed())
	Eventually(ctx, func(g Gomega) {
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(olmNamespace), operatorPodLabel)).To(Succeed())
		g.Expect(pods.Items).To(BeEmpty(), "the OLM-installed operator's pods")
	}).WithTimeout(2 * time.Minute).WithPolling(poll).Should(Succeed())
}

// dumpDiagnostics prints what explains a failure: OLM's objects and the
// pods of its namespace, then the framework's diagnostics of the sample's
// namespace (the EtcdCluster, pods, events, etcd and operator logs).
func dumpDiagnostics(ctx context.Context, since time.Time) {
	w := GinkgoWriter
	_, _ = fmt.Fprintln(w, "===== diagnostics")
	for _, gvk := range []schema.GroupVersionKind{catalogSourceGVK, subscriptionGVK, installPlanGVK, csvGVK} {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk)
		if err := k8s.List(ctx, list, client.InNamespace(olmNamespace)); err != nil {
			_, _ = fmt.Fprintf(w, "%s: %v\n", gvk.Kind, err)
			continue
		}
		for _, u := range list.Items {
			status, _ := yaml.Marshal(u.Object["status"])
			_, _ = fmt.Fprintf(w, "--- %s %s status:\n%s", gvk.Kind, u.GetName(), status)
		}
	}
	_, _ = fmt.Fprintln(w, podStates(ctx, olmNamespace, nil))
	events := &corev1.EventList{}
	if err := k8s.List(ctx, events, client.InNamespace(olmNamespace)); err == nil {
		for _, e := range events.Items {
			_, _ = fmt.Fprintf(w, "event %s/%s %s %s: %s\n", olmNamespace, e.InvolvedObject.Name, e.Type, e.Reason, e.Message)
		}
	}
	fw.DumpDiagnostics(ctx, sampleNamespace, since)
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
