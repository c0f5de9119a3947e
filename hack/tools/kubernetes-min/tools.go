//go:build tools

// Package tools records the Kubernetes command that hack/tools.mk builds from the
// oldest Kubernetes the CRD supports (KUBE_MIN_VERSION), so that `go mod tidy`
// keeps its dependencies. It is never compiled.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
