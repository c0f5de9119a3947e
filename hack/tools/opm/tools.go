//go:build tools

// This file records the programs that hack/tools.mk builds from this module (opm and
// grpc_health_probe), so that `go mod tidy` keeps their dependencies. It is never
// compiled.
package tools

import (
	_ "github.com/grpc-ecosystem/grpc-health-probe"
	_ "github.com/operator-framework/operator-registry/cmd/opm"
)
