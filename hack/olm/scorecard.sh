#!/usr/bin/env bash
# make scorecard: runs `operator-sdk scorecard` on bundle/ for real, in the local cluster
# (hack/local-cluster), in a namespace of its own; touches nothing else.
#
#   hack/olm/scorecard.sh [extra operator-sdk scorecard flags...]   e.g. --selector=suite=olm
#
# Builds what is missing (once, into bin/: operator-sdk, the scorecard-test image, the
# untar image), imports the two images into the local cluster's containerd (root
# needed; skipped when already there), creates the namespace, runs
#   operator-sdk scorecard ./bundle --namespace NS --wait-time 180s --untar-image IMG -o text
# (the test pods use IfNotPresent, so nothing is pulled), writes the output to
# _output/scorecard.txt and prints a summary. The namespace is deleted afterwards.
# Env: SCORECARD_NAMESPACE (default etcd-operator-scorecard), SCORECARD_WAIT (180s).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=hack/local-cluster/lib.sh
source "${repo}/hack/local-cluster/lib.sh"
log() { printf '[scorecard] %s\n' "$*" >&2; }
die() { printf '[scorecard] ERROR: %s\n' "$*" >&2; exit 1; }
cd "${repo}"
start=$(lc_now)
ns=${SCORECARD_NAMESPACE:-etcd-operator-scorecard}
wait_time=${SCORECARD_WAIT:-180s}
out=${repo}/_output/scorecard.txt

mk() { make --no-print-directory -s -C "${repo}" -f hack/tools.mk "$@"; }
mk operator-sdk scorecard-test scorecard-untar > /dev/null
eval "$(mk tools-paths)"
kubectl() { "${KUBECTL}" --kubeconfig "${LC_KUBECONFIG}" "$@"; }
[[ -f ${LC_KUBECONFIG} ]] || die "no ${LC_KUBECONFIG}: is the local cluster up (make cluster-up)?"
kubectl get --raw /readyz > /dev/null || die "the local cluster's API server does not answer"

# The bundle's test config must name the image that is imported here.
grep -q "image: ${SCORECARD_TEST_IMAGE}\$" bundle/tests/scorecard/config.yaml \
  || die "bundle/tests/scorecard/config.yaml does not use ${SCORECARD_TEST_IMAGE}"
lc_require_root
lc_import_image "${SCORECARD_TEST_IMAGE_TAR}" "${SCORECARD_TEST_IMAGE}"
lc_import_image "${SCORECARD_UNTAR_IMAGE_TAR}" "${SCORECARD_UNTAR_IMAGE}"
log "images ${SCORECARD_TEST_IMAGE} and ${SCORECARD_UNTAR_IMAGE} present ($(lc_elapsed "${start}")s)"

# A namespace still terminating from the last run would refuse the test pods.
kubectl wait --for=delete "namespace/${ns}" --timeout=120s > /dev/null 2>&1 || true
kubectl create namespace "${ns}" > /dev/null
trap 'kubectl delete namespace "${ns}" --ignore-not-found --wait=false > /dev/null 2>&1 || true' EXIT
# The test pods run as the namespace's default ServiceAccount, which appears shortly.
lc_wait 30 "ServiceAccount ${ns}/default" kubectl -n "${ns}" get serviceaccount default \
  || die "no ServiceAccount ${ns}/default"

log "operator-sdk scorecard ./bundle in namespace ${ns}"
mkdir -p "$(dirname "${out}")"
rc=0
# --plugins: PROJECT names two plugins whose flags clash; the Go one is enough here.
"${OPERATOR_SDK}" --plugins go.kubebuilder.io/v4 scorecard ./bundle \
  --kubeconfig "${LC_KUBECONFIG}" --namespace "${ns}" --wait-time "${wait_time}" \
  --untar-image "${SCORECARD_UNTAR_IMAGE}" -o text "$@" > "${out}" 2>&1 || rc=$?

# Summary: one line per test with its state (the full output, with each test's log,
# is in ${out}; it is printed as well when a test fails or SCORECARD_VERBOSE=1).
passed=$(grep -c '^[[:space:]]*State: pass' "${out}" || true)
total=$(grep -c '^[[:space:]]*State:' "${out}" || true)
if ((rc != 0 || total == 0 || passed != total)) || [[ ${SCORECARD_VERBOSE:-0} == 1 ]]; then
  cat "${out}"
fi
echo "scorecard summary (full output: ${out#"${repo}"/}):"
awk '/^[[:space:]]*Name:/ { t = $2 } /^[[:space:]]*State:/ && t != "" { printf "  %-28s %s\n", t, $2; t = "" }' "${out}"
echo "  ${passed}/${total} passed in $(lc_elapsed "${start}")s"
((rc == 0)) || die "operator-sdk scorecard failed (exit ${rc})"
((total > 0 && passed == total)) || die "not every test passed"
