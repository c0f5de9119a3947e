//go:build olm

// Package olm installs the operator through OLM on the local cluster
// (hack/local-cluster) the way a user of a catalog would, and upgrades it:
// OLM v0.33.0 (hack/olm/install.sh), the operator, bundle and file-based
// catalog images on a loopback registry (hack/olm/publish.sh), a
// CatalogSource, an OperatorGroup and a Subscription; then the 3-member
// sample EtcdCluster, checked through clientv3; then an upgrade to a second
// bundle version that must leave the EtcdCluster untouched. That install is
// AllNamespaces; a second one is OwnNamespace, with namespaced permissions
// only. It writes the timings to _output/olm-timings.json.
//
// The operator that config/default deployed (the main e2e suite's) is scaled
// to 0 for the duration and restored afterwards, so that two operators never
// reconcile the same EtcdCluster. Run it with `make test-olm` (hack/olm/test.sh).
package olm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

var (
	// fw is the framework shared with test/e2e; k8s is its client.
	fw       *framework.Framework
	k8s      client.Client
	repoRoot string
	// published is what hack/olm/publish.sh pushed: by version, the operator,
	// bundle and catalog images (all by digest).
	published publication
	timings   = map[string]float64{}
)

type publication struct {
	Operators map[string]string
	Bundles   map[string]string
	Catalogs  map[string]string
}

func TestOLM(t *testing.T) {
	framework.RunSuite(t, "etcd operator through OLM", "the OLM suite runs against hack/local-cluster through make test-olm")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	var err error
	repoRoot, err = framework.RepoRoot()
	Expect(err).NotTo(HaveOccurred())

	// Connect asks the cluster for its topology and refuses one it does
	// not know: the suite scales the operator down and installs OLM.
	fw, err = framework.Connect(ctx, os.Getenv("KUBECONFIG"), 50, 100)
	Expect(err).NotTo(HaveOccurred())
	// The diagnostics read the OLM-installed operator's log.
	fw.OperatorNamespace = olmNamespace
	k8s = fw.K8s
	_, _ = fmt.Fprintf(GinkgoWriter, "topology: %s\n", fw.Topology.Name())

	By("installing OLM (hack/olm/install.sh; seconds when it is there)")
	t0 := time.Now()
	run(ctx, "hack/olm/install.sh")
	timings["olmInstallSeconds"] = since(t0)

	By("publishing the operator, bundle and catalog images (hack/olm/publish.sh)")
	t0 = time.Now()
	out := run(ctx, "hack/olm/publish.sh", fromVersion, toVersion)
	timings["publishSeconds"] = since(t0)
	published = parsePublication(out)
	Expect(published.Operators).To(HaveLen(2), "publish.sh printed no operator image per version")
	for _, v := range []string{fromVersion, toVersion} {
		Expect(published.Operators).To(HaveKey(v), "publish.sh printed no operator image %s", v)
		Expect(published.Bundles).To(HaveKey(v), "publish.sh printed no bundle %s", v)
		Expect(published.Catalogs).To(HaveKey(v), "publish.sh printed no catalog %s", v)
	}
	_, _ = fmt.Fprintf(GinkgoWriter, "published: %+v\n", published)

	// Two operators must never reconcile the same EtcdCluster: config/default's
	// stays at 0 replicas until every install of the suite is gone.
	scaleDownDefaultOperator(ctx)
}, NodeTimeout(20*time.Minute))

var _ = AfterSuite(func() {
	if repoRoot == "" || len(timings) == 0 {
		return
	}
	path := filepath.Join(repoRoot, "_output", "olm-timings.json")
	b, err := json.MarshalIndent(timings, "", "  ")
	Expect(err).NotTo(HaveOccurred())
	Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
	Expect(os.WriteFile(path, append(b, '\n'), 0o644)).To(Succeed())
	_, _ = fmt.Fprintf(os.Stdout, "\nOLM timings (%s):\n%s\n", path, b)
})

// run runs a repository script, its stderr to the GinkgoWriter, and returns
// its stdout.
func run(ctx context.Context, script string, args ...string) string {
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot, script), args...)
	cmd.Dir = repoRoot
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = GinkgoWriter
	err := cmd.Run()
	Expect(err).NotTo(HaveOccurred(), "%s %s\n%s", script, strings.Join(args, " "), stdout.String())
	return stdout.String()
}

// parsePublication reads publish.sh's lines "operator V REF", "bundle V REF"
// and "catalog V REF".
func parsePublication(out string) publication {
	p := publication{Operators: map[string]string{}, Bundles: map[string]string{}, Catalogs: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		switch f[0] {
		case "operator":
			p.Operators[f[1]] = f[2]
		case "bundle":
			p.Bundles[f[1]] = f[2]
		case "catalog":
			p.Catalogs[f[1]] = f[2]
		}
	}
	return p
}

func since(t0 time.Time) float64 {
	return float64(time.Since(t0).Milliseconds()) / 1000
}
