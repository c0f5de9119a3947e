//go:build tools

// Build-only module for SeaweedFS's weed binary, whose `weed s3` (with its
// master, volume and filer in one process via `weed server -s3`) is the real
// S3-compatible store the backup e2e specs write to, on loopback or as a pod.
// To upgrade: edit the version in go.mod, run `GOWORK=off go mod tidy` in this
// directory, and change SEAWEEDFS_VERSION in hack/tools.mk.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
