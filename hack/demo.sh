#!/usr/bin/env bash
# make demo: bring up the local cluster, build and deploy the operator from
# config/default, create the 3-member sample and show it Running, with
# etcd's own view of its members.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${repo}"
start=$(date +%s)
step() { echo; echo "== $* (+$(($(date +%s) - start))s)"; }

hack/deploy-local.sh
eval "$(hack/local-cluster/env.sh)"

step "create the 3-member EtcdCluster (config/samples/etcd_v1alpha1_etcdcluster_3.yaml)"
"${KUBECTL}" apply -n default -f config/samples/etcd_v1alpha1_etcdcluster_3.yaml
applied=$(date +%s)
"${KUBECTL}" wait -n default etcdcluster/etcd-3 --for=jsonpath='{.status.phase}'=Running --timeout=300s
echo "Running $(($(date +%s) - applied))s after apply"

step "kubectl get etcdcluster"
"${KUBECTL}" get etcdcluster -n default -o wide
step "etcdctl endpoint status, run inside the cluster"
"${KUBECTL}" exec -n default etcd-3-0 -c etcd -- /usr/local/bin/etcdctl endpoint status --cluster -w table
echo
echo "done in $(($(date +%s) - start))s. Use the cluster: eval \"\$(hack/local-cluster/env.sh)\"; \$KUBECTL get etcdcluster -A"
echo "Tear it down: make cluster-down"
