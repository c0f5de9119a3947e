// DNS readiness check for the local cluster (hack/local-cluster/up.sh).
module github.com/etcd-operator/etcd-operator/hack/local-cluster/dnscheck

go 1.26.0
