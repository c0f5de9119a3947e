// Static pause program for the local cluster's sandbox image (hack/local-cluster).
module github.com/etcd-operator/etcd-operator/hack/local-cluster/pause

go 1.26.0
