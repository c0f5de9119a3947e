//go:build e2e || olm

package framework

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
)

// RunSuite runs a suite's specs against the cluster that KUBECONFIG
// names; how says how to run the suite when it is not set.
func RunSuite(t *testing.T, description, how string) {
	if os.Getenv("KUBECONFIG") == "" {
		t.Fatalf("KUBECONFIG is not set: %s", how)
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	ginkgo.RunSpecs(t, description)
}

// RepoRoot is the repository's root, two levels above a suite's directory.
func RepoRoot() (string, error) { return filepath.Abs(filepath.Join("..", "..")) }
