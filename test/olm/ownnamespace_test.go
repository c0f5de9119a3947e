//go:build olm

package olm

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// ownNamespace holds everything of the OwnNamespace install: the CatalogSource,
// an OperatorGroup that targets only this namespace, the Subscription, the
// operator and the EtcdCluster it runs. It enforces the restricted Pod Security
// level like every test namespace.
const ownNamespace = "etcd-operator-olm-own"

var _ = Describe("the operator installed through OLM in OwnNamespace mode", Ordered, Label("olm", "own-namespace", "slow"), func() {
	var sample *etcdv1alpha1.EtcdCluster

	BeforeAll(func(ctx SpecContext) {
		fw.OperatorNamespace = ownNamespace
		By("creating namespace " + ownNamespace + " (restricted)")
		recreateNamespace(ctx, ownNamespace, true)
		// The sample goes first: its finalizer needs the operator.
		DeferCleanup(removeOLMInstall, ownNamespace, NodeTimeout(6*time.Minute))
		DeferCleanup(func(ctx SpecContext) { removeSample(ctx, sample) }, NodeTimeout(3*time.Minute))

		timings["ownNamespaceCatalogReadySeconds"] = createCatalogAndGroup(ctx, ownNamespace, toVersion, []string{ownNamespace})
	}, NodeTimeout(8*time.Minute))

	AfterEach(func(ctx SpecContext) {
		if CurrentSpecReport().Failed() {
			dumpDiagnostics(ctx, ownNamespace, ownNamespace, CurrentSpecReport().StartTime)
		}
	})

	It("installs "+csvName(toVersion)+" with permissions in its own namespace only", Label("install"), func(ctx SpecContext) {
		var pod corev1.Pod
		pod, timings["ownNamespaceInstallToCSVSucceededSeconds"] = subscribe(ctx, ownNamespace, toVersion, []string{ownNamespace})
		Expect(pod.Annotations).To(HaveKeyWithValue("olm.targetNamespaces", ownNamespace),
			"OLM tells the operator (WATCH_NAMESPACE) which namespaces to watch")

		By("asking the API server what the operator's ServiceAccount may do")
		user := "system:serviceaccount:" + ownNamespace + ":etcd-operator-controller-manager"
		for _, a := range []authorizationv1.ResourceAttributes{
			{Namespace: ownNamespace, Verb: "watch", Group: "etcd.etcd.io", Resource: "etcdclusters"},
			{Namespace: ownNamespace, Verb: "patch", Group: "etcd.etcd.io", Resource: "etcdclusters", Subresource: "status"},
			{Namespace: ownNamespace, Verb: "create", Group: "apps", Resource: "statefulsets"},
			{Namespace: ownNamespace, Verb: "delete", Resource: "pods"},
		} {
			Expect(mayDo(ctx, ownNamespace, a)).To(BeTrue(), "%s may %s %s in its namespace", user, a.Verb, a.Resource)
		}
		for _, a := range []authorizationv1.ResourceAttributes{
			{Namespace: "default", Verb: "list", Resource: "pods"},
			{Namespace: "default", Verb: "delete", Resource: "persistentvolumeclaims"},
			{Namespace: "default", Verb: "list", Group: "etcd.etcd.io", Resource: "etcdclusters"},
			{Verb: "list", Resource: "secrets"},
			{Verb: "create", Group: "apps", Resource: "statefulsets"},
		} {
			Expect(mayDo(ctx, ownNamespace, a)).To(BeFalse(), "%s may not %s %s in namespace %q", user, a.Verb, a.Resource, a.Namespace)
		}
	}, NodeTimeout(8*time.Minute))

	It("runs the 3-member sample in its own namespace", Label("smoke"), func(ctx SpecContext) {
		t0 := time.Now()
		sample = createSample(ctx, ownNamespace)
		timings["ownNamespaceSampleToRunningSeconds"] = since(t0)

		Eventually(ctx, func() error {
			_, err := observeEtcd(ctx, sample)
			return err
		}).WithTimeout(time.Minute).WithPolling(poll).Should(Succeed(), "etcd healthy through clientv3")
	}, NodeTimeout(7*time.Minute))
})

// mayDo asks the API server (a SubjectAccessReview) whether the operator's
// ServiceAccount in ns may do a.
func mayDo(ctx SpecContext, ns string, a authorizationv1.ResourceAttributes) bool {
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:               "system:serviceaccount:" + ns + ":etcd-operator-controller-manager",
		Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
		ResourceAttributes: &a,
	}}
	Expect(k8s.Create(ctx, sar)).To(Succeed())
	return sar.Status.Allowed
}
