#!/usr/bin/env bash
# DRAFT, never run yet: installs OLM v0.33.0 on the local cluster (hack/local-cluster)
# offline, from what hack/tools.mk builds, or removes it again.
#
#   hack/olm/install.sh              import the images, apply the CRDs and OLM, wait
#   hack/olm/install.sh --uninstall  delete what install applied (images stay)
#
# Install: builds what is missing (make -f hack/tools.mk olm-tools: ~8 min cold),
# imports the scorecard-test, opm and olm image tarballs into the local cluster's
# containerd (root needed), applies bin/olm-<v>/manifests/crds.yaml and olm.yaml
# (server-side apply: the CSV CRD is too large for the last-applied annotation), then
# waits for olm-operator, catalog-operator and the packageserver CSV. Nothing is pulled:
# every image in olm.yaml is one of the imported tags, with imagePullPolicy IfNotPresent.
# Catalogs and bundles that you add must be imported the same way
# (hack/local-cluster/load-image.sh) or be served by a registry on this machine.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=hack/local-cluster/lib.sh
source "${repo}/hack/local-cluster/lib.sh"
log() { printf '[olm] %s\n' "$*" >&2; }
die() { printf '[olm] ERROR: %s\n' "$*" >&2; exit 1; }

mk() { make --no-print-directory -s -C "${repo}" -f hack/tools.mk "$@"; }
eval "$(mk tools-paths)"
kubectl() { "${KUBECTL}" --kubeconfig "${LC_KUBECONFIG}" "$@"; }
[[ -f ${LC_KUBECONFIG} ]] || die "no ${LC_KUBECONFIG}: is the local cluster up (hack/local-cluster/up.sh)?"
kubectl get --raw /readyz > /dev/null || die "the local cluster's API server does not answer"
ns=olm

if [[ ${1:-} == --uninstall ]]; then
  [[ -d ${OLM_MANIFESTS_DIR} ]] || die "no ${OLM_MANIFESTS_DIR} (make -f hack/tools.mk olm)"
  # OLM's own uninstall order: the API service and CSVs first, then OLM, then the CRDs.
  kubectl delete apiservices.apiregistration.k8s.io v1.packages.operators.coreos.com --ignore-not-found
  kubectl delete -f "${OLM_MANIFESTS_DIR}/olm.yaml" --ignore-not-found --wait=true
  kubectl delete -f "${OLM_MANIFESTS_DIR}/crds.yaml" --ignore-not-found --wait=true
  log "OLM removed"
  exit 0
fi
(($# == 0)) || die "usage: $0 [--uninstall]"

lc_require_root
start=$(lc_now)
mk olm-tools > /dev/null
while read -r tag tar; do
  lc_import_image "${tar}" "${tag}"
  log "image ${tag} present"
done < <("${repo}/hack/olm/images.sh")

kubectl apply --server-side --force-conflicts -f "${OLM_MANIFESTS_DIR}/crds.yaml" > /dev/null
kubectl wait --for=condition=Established --timeout=60s -f "${OLM_MANIFESTS_DIR}/crds.yaml" > /dev/null
kubectl apply --server-side --force-conflicts -f "${OLM_MANIFESTS_DIR}/olm.yaml" > /dev/null
kubectl -n "${ns}" rollout status --timeout=120s deployment/olm-operator
kubectl -n "${ns}" rollout status --timeout=120s deployment/catalog-operator

# olm-operator creates the packageserver Deployment from its CSV.
deadline=$((SECONDS + 180))
phase=""
until [[ ${phase} == Succeeded ]]; do
  ((SECONDS < deadline)) || die "CSV packageserver not Succeeded after 180s (phase '${phase}'); see kubectl -n ${ns} describe csv packageserver"
  sleep 2
  new=$(kubectl -n "${ns}" get csv packageserver -o jsonpath='{.status.phase}' 2> /dev/null || true)
  [[ ${new} != "${phase}" ]] && log "packageserver CSV: ${new:-<none yet>}"
  phase=${new}
done
kubectl -n "${ns}" rollout status --timeout=120s deployment/packageserver
kubectl get --raw /apis/packages.operators.coreos.com/v1 > /dev/null
log "OLM ${OLM_IMAGE} installed in $(lc_elapsed "${start}")s"
