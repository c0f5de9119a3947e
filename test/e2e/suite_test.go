//go:build e2e

// Package e2e runs the operator, deployed from config/default, in the real
// Kubernetes of hack/local-cluster (a topology of test/e2e/framework), and checks what it does on
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
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

var (
	// fw is the shared framework (test/e2e/framework); k8s and clientset
	// are its clients.
	fw        *framework.Framework
	k8s       client.Client
	clientset kubernetes.Interface
	repoRoot  string
)

func TestE2E(t *testing.T) {
	framework.RunSuite(t, "etcd operator end-to-end", "the end-to-end suite runs against hack/local-cluster through make test-e2e")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	var err error
	repoRoot, err = framework.RepoRoot()
	Expect(err).NotTo(HaveOccurred())

	// The suite polls the API server every 100-200 ms while it measures.
	// Connect asks the cluster for its topology and refuses one it does
	// not know: the suite kills the operator and creates namespaces.
	fw, err = framework.Connect(ctx, os.Getenv("KUBECONFIG"), 100, 200)
	Expect(err).NotTo(HaveOccurred())
	fw.OperatorNamespace = operatorNamespace
	fw.ArtifactsDir = filepath.Join(repoRoot, "_output", "e2e-artifacts")
	fw.SuiteLabel = "e2e.etcd.etcd.io/suite"
	k8s, clientset = fw.K8s, fw.Clientset
	nodes, err := fw.Topology.Nodes(ctx)
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("topology: %s, %d node(s)\n", fw.Topology.Name(), len(nodes))

	By("waiting for the operator Deployment to be available")
	expectOperatorAvailable(ctx, 3*time.Minute)
	expectOperatorLeading(ctx, time.Minute)
}, NodeTimeout(4*time.Minute))

var _ = AfterSuite(func() {
	if repoRoot == "" {
		return
	}
	path := filepath.Join(repoRoot, "_output", "e2e-timings.json")
	Expect(timings.WriteJSON(path)).To(Succeed())
	timings.PrintTable(os.Stdout)
	_, _ = os.Stdout.WriteString("timings written to " + path + "\n")
})
