//go:build e2e

// Package e2e runs the operator, deployed from config/default, in the real
// single-node Kubernetes of hack/local-cluster, and checks what it does on
// etcd itself through clientv3 (the host reaches pod IPs directly). It also
// measures the floor, the chart installed by helm without the operator, and
// writes the timings of both to _output/e2e-timings.json.
//
// Run it with `make test-e2e` (hack/e2e.sh), which brings the cluster up,
// builds and deploys the operator, then runs this suite with KUBECONFIG set.
package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// localNode is the only node of hack/local-cluster: the suite refuses any
// other cluster, since it kills the operator and creates namespaces.
const localNode = "local-node"

var (
	k8s       client.Client
	clientset kubernetes.Interface
	repoRoot  string
	timings   = newTimingBook()
)

func TestE2E(t *testing.T) {
	if os.Getenv("KUBECONFIG") == "" {
		t.Fatal("KUBECONFIG is not set: the end-to-end suite runs against hack/local-cluster through make test-e2e")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "etcd operator end-to-end")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	var err error
	repoRoot, err = filepath.Abs(filepath.Join("..", ".."))
	Expect(err).NotTo(HaveOccurred())

	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	Expect(err).NotTo(HaveOccurred())
	// The suite polls the API server every 100-200 ms while it measures.
	cfg.QPS, cfg.Burst = 100, 200
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(etcdv1alpha1.AddToScheme(scheme))
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	clientset, err = kubernetes.NewForConfig(cfg)
	Expect(err).NotTo(HaveOccurred())

	nodes := &corev1.NodeList{}
	Expect(k8s.List(ctx, nodes)).To(Succeed())
	Expect(nodes.Items).To(HaveLen(1), "the suite runs only against hack/local-cluster")
	Expect(nodes.Items[0].Name).To(Equal(localNode), "the suite runs only against hack/local-cluster")

	By("waiting for the operator Deployment to be available")
	expectOperatorAvailable(ctx, 3*time.Minute)
	expectOperatorLeading(ctx, time.Minute)
}, NodeTimeout(4*time.Minute))

var _ = AfterSuite(func() {
	if repoRoot == "" {
		return
	}
	path := filepath.Join(repoRoot, "_output", "e2e-timings.json")
	Expect(timings.writeJSON(path)).To(Succeed())
	timings.printTable(os.Stdout)
	_, _ = os.Stdout.WriteString("timings written to " + path + "\n")
})
