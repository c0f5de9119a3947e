#!/usr/bin/env bash
# make test-e2e: the end-to-end suite on the local cluster.
#
# Brings the cluster up (hack/local-cluster/up.sh, idempotent), builds the
# operator image from the current tree and imports it, deploys config/default
# (as make demo does), then runs test/e2e with KUBECONFIG set and prints the
# timings it measured (_output/e2e-timings.json). The cluster stays up:
# make cluster-down tears it down.
#
#   hack/e2e.sh [go test flags...]    e.g. hack/e2e.sh -ginkgo.focus=Floor
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${repo}"
export GOFLAGS=${GOFLAGS:--buildvcs=false}
start=$(date +%s)
step() { echo; echo "== $* (+$(($(date +%s) - start))s)"; }

step "local Kubernetes (the first run builds Kubernetes, etcd and CoreDNS from source: ~15 min on 2 cores)"
hack/local-cluster/up.sh
eval "$(hack/local-cluster/env.sh)"

step "operator image ${IMG:=etcd-operator:v0.1.0}"
hack/operator-image.sh "${IMG}" >/dev/null

step "tools: kustomize and helm (built once into bin/)"
kustomize=$(make -s -f hack/tools.mk kustomize)
E2E_HELM=$(make -s -f hack/tools.mk helm)
export E2E_HELM

step "deploy the operator (kustomize build config/default | kubectl apply)"
"${kustomize}" build config/default | "${KUBECTL}" apply --server-side --force-conflicts -f -
"${KUBECTL}" wait --for=condition=Established --timeout=60s crd/etcdclusters.etcd.etcd.io
# A new image under the same tag: restart so the pod runs it.
"${KUBECTL}" -n etcd-operator-system rollout restart deployment/etcd-operator-controller-manager
"${KUBECTL}" -n etcd-operator-system rollout status deployment/etcd-operator-controller-manager --timeout=180s

step "go test ./test/e2e/... (KUBECONFIG=${KUBECONFIG})"
timings=_output/e2e-timings.json
# A failed spec dumps its namespace's objects, events and the operator log here.
artifacts=_output/e2e-artifacts
rm -rf "${timings}" "${artifacts}"
# -ginkgo.v lists each spec as it runs (plain go test -v prints only dots).
ginkgo_flags=(-ginkgo.v)
[[ -t 1 ]] || ginkgo_flags+=(-ginkgo.no-color)
rc=0
go test ./test/e2e/... -count=1 -timeout 60m -v "${ginkgo_flags[@]}" "$@" || rc=$?

step "timings (${timings})"
if [[ -f ${timings} ]]; then
  cat "${timings}"
else
  echo "no timings: the suite did not get to write them"
fi
if [[ -d ${artifacts} ]]; then
  echo "diagnostics of failed specs: ${artifacts}/"
fi
echo
echo "e2e $([[ ${rc} -eq 0 ]] && echo passed || echo FAILED) in $(($(date +%s) - start))s; the cluster stays up (make cluster-down)"
exit "${rc}"
