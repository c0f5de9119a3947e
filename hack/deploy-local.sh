#!/usr/bin/env bash
# Brings up the local cluster, builds the operator image from the current
# tree, and deploys config/default the way a user would. Shared by
# make demo (hack/demo.sh) and make test-e2e (hack/e2e.sh).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${repo}"
start=$(date +%s)
step() { echo; echo "== $* (+$(($(date +%s) - start))s)"; }

step "local Kubernetes (the first run builds Kubernetes, etcd and CoreDNS from source: ~15 min on 2 cores)"
hack/local-cluster/up.sh
eval "$(hack/local-cluster/env.sh)"

step "operator image ${IMG:=quay.io/etcd-operator/etcd-operator:v0.1.0}"
hack/operator-image.sh "${IMG}" >/dev/null

step "deploy the operator (kustomize build config/default | kubectl apply)"
kustomize=$(make -s -f hack/tools.mk kustomize)
"${kustomize}" build config/default | "${KUBECTL}" apply --server-side --force-conflicts -f -
"${KUBECTL}" wait --for=condition=Established --timeout=60s crd/etcdclusters.etcd.etcd.io
# A new image under the same tag: restart so the pod runs it.
"${KUBECTL}" -n etcd-operator-system rollout restart deployment/etcd-operator-controller-manager
"${KUBECTL}" -n etcd-operator-system rollout status deployment/etcd-operator-controller-manager --timeout=180s
