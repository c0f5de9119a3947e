#!/usr/bin/env bash
# make olm-install / make olm-uninstall: installs OLM v0.33.0 on the local cluster
# (hack/local-cluster) offline, from what hack/tools.mk builds, or removes it again.
#
#   hack/olm/install.sh              import the images, apply the CRDs and OLM, wait
#   hack/olm/install.sh --uninstall  delete what install applied (images stay)
#
# Install (idempotent; seconds when OLM is already there): builds what is missing
# (make -f hack/tools.mk opm-image olm: ~8 min cold), imports the opm and olm image
# tarballs into the local cluster's containerd (root needed; skipped when present),
# applies bin/olm-<v>/manifests/crds.yaml and olm.yaml (server-side apply: the CSV CRD is
# too large for the last-applied annotation), then waits until the olm-operator,
# catalog-operator and packageserver Deployments are Available, the packageserver CSV
# Succeeded and its APIService (packages.operators.coreos.com) Available. Nothing is
# pulled: every image in olm.yaml is one of the imported tags, IfNotPresent.
# OLM itself never touches etcd-operator-system or the operator deployed there.
#
# Catalog and bundle images: OLM's catalog pods and bundle unpack Jobs pull them by tag
# with imagePullPolicy Always, so they must come from a registry: hack/olm/registry.sh
# runs one on 127.0.0.1:5001 that containerd reaches over plain HTTP, and
# hack/olm/publish.sh pushes the operator, bundle and catalog images there.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=hack/local-cluster/lib.sh
source "${repo}/hack/local-cluster/lib.sh"
log() { printf '[olm] %s\n' "$*" >&2; }
die() { printf '[olm] ERROR: %s\n' "$*" >&2; exit 1; }

mk() { make --no-print-directory -s -C "${repo}" -f hack/tools.mk "$@"; }
eval "$(mk tools-paths)"
kubectl() { "${KUBECTL}" --kubeconfig "${LC_KUBECONFIG}" "$@"; }
[[ -f ${LC_KUBECONFIG} ]] || die "no ${LC_KUBECONFIG}: is the local cluster up (make cluster-up)?"
kubectl get --raw /readyz > /dev/null || die "the local cluster's API server does not answer"
ns=olm
timeout=${OLM_INSTALL_TIMEOUT:-180}

if [[ ${1:-} == --uninstall ]]; then
  [[ -d ${OLM_MANIFESTS_DIR} ]] || mk olm > /dev/null
  start=$(lc_now)
  # OLM's own uninstall order: the API service and CSVs first, then OLM, then the CRDs.
  # CSVs carry the finalizer operators.coreos.com/csv-cleanup, which only a running
  # olm-operator removes: delete them (every operator that OLM installed) while it runs.
  kubectl delete apiservices.apiregistration.k8s.io v1.packages.operators.coreos.com --ignore-not-found
  if kubectl get crd clusterserviceversions.operators.coreos.com > /dev/null 2>&1; then
    kubectl delete subscriptions.operators.coreos.com,clusterserviceversions.operators.coreos.com \
      --all -A --ignore-not-found --wait=true --timeout=120s || true
    # Left over if olm-operator was already gone: drop the finalizer, or the namespaces hang.
    kubectl get clusterserviceversions.operators.coreos.com -A --no-headers \
      -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name 2> /dev/null \
      | while read -r csv_ns csv; do
        kubectl -n "${csv_ns}" patch clusterserviceversions.operators.coreos.com "${csv}" --type=merge \
          -p '{"metadata":{"finalizers":null}}' > /dev/null || true
      done
  fi
  kubectl delete -f "${OLM_MANIFESTS_DIR}/olm.yaml" --ignore-not-found --wait=true
  kubectl delete -f "${OLM_MANIFESTS_DIR}/crds.yaml" --ignore-not-found --wait=true
  log "OLM removed in $(lc_elapsed "${start}")s"
  exit 0
fi
(($# == 0)) || die "usage: $0 [--uninstall]"

lc_require_root
start=$(lc_now)
mk opm-image olm > /dev/null
lc_import_image "${OPM_IMAGE_TAR}" "${OPM_IMAGE}"
lc_import_image "${OLM_IMAGE_TAR}" "${OLM_IMAGE}"
log "images ${OLM_IMAGE} and ${OPM_IMAGE} present ($(lc_elapsed "${start}")s)"

kubectl apply --server-side --force-conflicts -f "${OLM_MANIFESTS_DIR}/crds.yaml" > /dev/null
kubectl wait --for=condition=Established --timeout=60s -f "${OLM_MANIFESTS_DIR}/crds.yaml" > /dev/null
kubectl apply --server-side --force-conflicts -f "${OLM_MANIFESTS_DIR}/olm.yaml" > /dev/null
log "manifests applied ($(lc_elapsed "${start}")s)"
kubectl -n "${ns}" wait --for=condition=Available --timeout="${timeout}s" deployment/olm-operator deployment/catalog-operator > /dev/null
log "olm-operator and catalog-operator Available ($(lc_elapsed "${start}")s)"

# olm-operator creates the packageserver Deployment from its CSV.
deadline=$((SECONDS + timeout))
phase=""
until [[ ${phase} == Succeeded ]]; do
  ((SECONDS < deadline)) || die "CSV packageserver not Succeeded after ${timeout}s (phase '${phase}'); see kubectl -n ${ns} describe csv packageserver"
  new=$(kubectl -n "${ns}" get csv packageserver -o jsonpath='{.status.phase}' 2> /dev/null || true)
  [[ ${new} != "${phase}" ]] && log "packageserver CSV: ${new:-<none yet>}"
  phase=${new}
  [[ ${phase} == Succeeded ]] || sleep 1
done
lc_wait "${timeout}" "deployment olm/packageserver" kubectl -n "${ns}" get deployment packageserver \
  || die "no deployment ${ns}/packageserver"
kubectl -n "${ns}" wait --for=condition=Available --timeout="${timeout}s" deployment/packageserver > /dev/null
kubectl wait --for=condition=Available --timeout="${timeout}s" apiservices.apiregistration.k8s.io/v1.packages.operators.coreos.com > /dev/null
kubectl get --raw /apis/packages.operators.coreos.com/v1 > /dev/null
log "olm-operator, catalog-operator, packageserver Available; OLM ${OLM_IMAGE##*:} installed in $(lc_elapsed "${start}")s"
