//go:build tools

// This file records the programs that hack/tools.mk builds from this module
// (prometheus and promtool), so that `go mod tidy` keeps their dependencies.
// It is never compiled.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
