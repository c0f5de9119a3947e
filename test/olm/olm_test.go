//go:build olm

package olm

import (
	"context"
	"fmt"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

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
		// OLM-installed operator), then the OLM objects.
		fw.OperatorNamespace = olmNamespace
		By("creating namespace " + olmNamespace)
		recreateNamespace(ctx, olmNamespace, false)
		DeferCleanup(removeOLMInstall, olmNamespace, NodeTimeout(6*time.Minute))

		By("creating namespace " + sampleNamespace)
		recreateNamespace(ctx, sampleNamespace, true)
		DeferCleanup(func(ctx SpecContext) {
			removeSample(ctx, sample)
			By("deleting namespace " + sampleNamespace)
			deleteNamespace(ctx, sampleNamespace)
		}, NodeTimeout(5*time.Minute))

		timings["catalogReadySeconds"] = createCatalogAndGroup(ctx, olmNamespace, fromVersion, nil)
	}, NodeTimeout(8*time.Minute))

	AfterEach(func(ctx SpecContext) {
		if CurrentSpecReport().Failed() {
			dumpDiagnostics(ctx, olmNamespace, sampleNamespace, CurrentSpecReport().StartTime)
		}
	})

	It("installs "+csvName(fromVersion)+" from the catalog through a Subscription", Label("install"), func(ctx SpecContext) {
		_, timings["installToCSVSucceededSeconds"] = subscribe(ctx, olmNamespace, fromVersion, []string{""})
	}, NodeTimeout(8*time.Minute))

	It("runs the 3-member sample EtcdCluster", Label("smoke"), func(ctx SpecContext) {
		t0 := time.Now()
		sample = createSample(ctx, sampleNamespace)
		timings["sampleToRunningSeconds"] = since(t0)

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
		oldPod := expectOperatorLeading(ctx, olmNamespace, time.Minute)

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

		waitInstalled(ctx, olmNamespace, csvName(toVersion), 6*time.Minute)
		timings["upgradeToCSVSucceededSeconds"] = since(t0)
		report("upgrade (CatalogSource moved) -> CSV %s Succeeded: %.1fs", csvName(toVersion), timings["upgradeToCSVSucceededSeconds"])

		By("waiting for the replaced CSV to go and the new operator pod to lead")
		Eventually(ctx, func() bool {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(csvGVK)
			return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKey{Namespace: olmNamespace, Name: csvName(fromVersion)}, u))
		}).WithTimeout(3*time.Minute).WithPolling(poll).Should(BeTrue(), "CSV %s deleted after the upgrade", csvName(fromVersion))
		newPod := expectOperatorLeading(ctx, olmNamespace, 3*time.Minute)
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
