//go:build tools

// This file records etcdctl, which hack/tools.mk builds from this module, so that
// `go mod tidy` keeps its dependencies. It is never compiled.
package main

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
)
