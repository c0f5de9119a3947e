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
#
# E2E_LABELS, when set, is passed as -ginkgo.label-filter: every spec has
# Ginkgo labels (smoke, create, admission, deletion, scaling, selfheal,
# floor, disruptive, slow, ...; see the Label(...) of each Describe and It),
# e.g. E2E_LABELS='smoke' or E2E_LABELS='scaling && !slow' or
# E2E_LABELS='!disruptive'.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${repo}"
export GOFLAGS=${GOFLAGS:--buildvcs=false}
start=$(date +%s)
step() { echo; echo "== $* (+$(($(date +%s) - start))s)"; }

hack/deploy-local.sh
eval "$(hack/local-cluster/env.sh)"
E2E_HELM=$(make -s -f hack/tools.mk helm)
# The real Prometheus of the metrics specs (built once into the tool cache).
E2E_PROMETHEUS=$(make -s -f hack/tools.mk prometheus)
export E2E_HELM E2E_PROMETHEUS

step "go test ./test/e2e/ (KUBECONFIG=${KUBECONFIG})"
timings=_output/e2e-timings.json
# A failed spec dumps its namespace's objects, events and the operator log
# here, and a digest of them.
artifacts=_output/e2e-artifacts
rm -rf "${timings}" "${artifacts}"
# -ginkgo.v lists each spec as it runs (plain go test -v prints only dots).
ginkgo_flags=(-ginkgo.v)
[[ -t 1 ]] || ginkgo_flags+=(-ginkgo.no-color)
if [[ -n ${E2E_LABELS:-} ]]; then
  ginkgo_flags+=("-ginkgo.label-filter=${E2E_LABELS}")
fi
rc=0
# One package, so that go test streams the output instead of holding it to the end.
go test -tags e2e ./test/e2e/ -count=1 -timeout 60m -v "${ginkgo_flags[@]}" "$@" || rc=$?

if [[ -d ${artifacts} ]]; then
  # CI keeps only part of the output, mostly its end: the failed specs'
  # full state first (bounded), then their digests, the operator's side
  # last.
  for f in "${artifacts}"/*.txt; do
    [[ ${f} == *.digest.txt ]] && continue
    step "diagnostics ${f}"
    awk '/^--- operator log/{exit} {print}' "${f}" | head -n 200
  done
  for f in "${artifacts}"/*.digest.txt; do
    step "digest ${f}"
    cat "${f}"
  done
  echo "diagnostics of failed specs: ${artifacts}/"
elif [[ -f ${timings} ]]; then
  step "timings (${timings})"
  cat "${timings}"
else
  echo "no timings: the suite did not get to write them"
fi
echo
echo "e2e $([[ ${rc} -eq 0 ]] && echo passed || echo FAILED) in $(($(date +%s) - start))s; the cluster stays up (make cluster-down)"
exit "${rc}"
