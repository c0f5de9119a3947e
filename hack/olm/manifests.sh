#!/usr/bin/env bash
# Renders OLM's install manifests for an offline cluster into OUT_DIR/crds.yaml and
# OUT_DIR/olm.yaml, the way upstream's release does (scripts/package_release.sh:
# `helm template` of deploy/chart with deploy/upstream/values.yaml; then
# scripts/package_quickstart.sh: one file for the CRDs, one for the rest), from the
# OLM module in the Go module cache. Called by hack/tools.mk.
#
#   hack/olm/manifests.sh OLM_TOOLS_MODULE_DIR HELM OUT_DIR
#
# Differences from the release's crds.yaml/olm.yaml, so that nothing is pulled:
#   * images by tag instead of by digest: $OLM_IMAGE for olm-operator, catalog-operator,
#     packageserver and the catalog operator's --util-image; $OLM_OPM_IMAGE for
#     --opmImage (the release pins the opm that OLM's go.mod requires, by digest);
#   * imagePullPolicy IfNotPresent for the packageserver too (the release says Always);
#   * no operatorhubio-catalog CatalogSource (quay.io/operatorhubio/catalog:latest).
# Env (defaults for OLM v0.33.0): OLM_VERSION, OLM_IMAGE, OLM_OPM_IMAGE,
# OLM_CONFIGMAP_SERVER_IMAGE.
set -euo pipefail
die() { printf 'hack/olm/manifests.sh: %s\n' "$*" >&2; exit 1; }
(($# == 3)) || die "usage: $0 OLM_TOOLS_MODULE_DIR HELM OUT_DIR"
module_dir=$1 helm=$2 out=$3
OLM_VERSION=${OLM_VERSION:-v0.33.0}
OLM_IMAGE=${OLM_IMAGE:-quay.io/operator-framework/olm:${OLM_VERSION}}
OLM_OPM_IMAGE=${OLM_OPM_IMAGE:-quay.io/operator-framework/opm:v1.59.0}
OLM_CONFIGMAP_SERVER_IMAGE=${OLM_CONFIGMAP_SERVER_IMAGE:-quay.io/operator-framework/configmap-operator-registry:latest}
olm_mod=github.com/operator-framework/operator-lifecycle-manager

# The OLM source: the version that the tools module requires, from the module cache.
export GOWORK=off GOFLAGS=''
src=$(cd "${module_dir}" && go mod download "${olm_mod}" >&2 && go list -m -f '{{.Dir}}' "${olm_mod}")
[[ -d ${src}/deploy/chart ]] || die "no deploy/chart in ${src}"
have=$(cd "${module_dir}" && go list -m -f '{{.Version}}' "${olm_mod}")
[[ ${have} == "${OLM_VERSION}" ]] || die "${module_dir} requires OLM ${have}, not ${OLM_VERSION}"

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
# As package_release.sh: a copy of the chart whose version is the release's.
cp -R "${src}/deploy/chart" "${work}/chart"
chmod -R u+w "${work}/chart"
sed "s/^[Vv]ersion:.*\$/version: ${OLM_VERSION}/" "${src}/deploy/chart/Chart.yaml" > "${work}/chart/Chart.yaml"
"${helm}" template -n olm -f "${src}/deploy/upstream/values.yaml" --include-crds \
  --set "olm.image.ref=${OLM_IMAGE},catalog.image.ref=${OLM_IMAGE},package.image.ref=${OLM_IMAGE}" \
  --set "olm.image.pullPolicy=IfNotPresent,catalog.image.pullPolicy=IfNotPresent,package.image.pullPolicy=IfNotPresent" \
  --set-string "catalog.opmImageArgs=--opmImage=${OLM_OPM_IMAGE}" \
  --set-string "catalog.commandArgs=--configmapServerImage=${OLM_CONFIGMAP_SERVER_IMAGE}" \
  --output-dir "${work}/out" "${work}/chart" > /dev/null
rm -f "${work}/out/olm/templates/"*-upstream-operators.catalogsource.yaml

# As package_quickstart.sh (comments dropped, a "---" before each file).
mkdir -p "${out}"
: > "${out}/crds.yaml"
: > "${out}/olm.yaml"
for f in "${work}/out/olm/crds/"*.yaml "${work}/out/olm/templates/"*.yaml; do
  if [[ ${f} == *.crd.yaml ]]; then dest=${out}/crds.yaml; else dest=${out}/olm.yaml; fi
  awk 'NR==1 && !/^---*/ {print "---"} !/^[[:space:]]*#/ {print}' "${f}" >> "${dest}"
done
if grep -n 'image: .*@sha256\|imagePullPolicy: Always\|operatorhubio' "${out}/olm.yaml" >&2; then
  die "olm.yaml still references something that would be pulled"
fi
echo "wrote ${out}/crds.yaml and ${out}/olm.yaml (OLM ${OLM_VERSION}, images: ${OLM_IMAGE}, opm ${OLM_OPM_IMAGE})" >&2
