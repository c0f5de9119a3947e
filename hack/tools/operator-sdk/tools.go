//go:build tools

// This file records operator-sdk, which hack/tools.mk builds from this module, so that
// `go mod tidy` keeps its dependencies. It is never compiled.
package tools

import (
	_ "github.com/operator-framework/operator-sdk/cmd/operator-sdk"
)
