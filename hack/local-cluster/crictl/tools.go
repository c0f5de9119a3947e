//go:build tools

// Package tools pins crictl; build it with `go build sigs.k8s.io/cri-tools/cmd/crictl`.
package tools

import _ "sigs.k8s.io/cri-tools/cmd/crictl"
