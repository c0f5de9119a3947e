// Build-only module for the scorecard untar image (hack/tools.mk scorecard-untar):
// standard library only.
module github.com/etcd-operator/etcd-operator/hack/tools/untar

go 1.26.0
