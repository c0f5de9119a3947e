#!/usr/bin/env bash
# Publishes the operator the way OLM consumes it, to the loopback registry of
# hack/olm/registry.sh (started if needed): the operator image, one bundle image per
# version and one file-based catalog image per version. Touches no cluster.
#
#   hack/olm/publish.sh [VERSION...]      default: 0.1.0 0.1.1
#
# The first VERSION must be bundle/'s own (its CSV's spec.version). Each later one is a
# copy of bundle/ patched into a newer release that replaces the one before it: CSV
# name etcd-operator.v<VERSION>, spec.version, spec.replaces, createdAt now (bundle/
# itself is never modified). In every bundle the operator image (Deployment, containerImage
# and its relatedImages entry) is the pushed one, by digest. Catalog <VERSION> holds the bundles up to VERSION, in one
# channel (bundle/'s default) where each replaces the previous, so that moving a
# CatalogSource from catalog N to catalog N+1 is an upgrade.
#
# What each image is (no Docker; crane and hack/local-cluster's imgtool):
#   operator  hack/operator-image.sh (NO_IMPORT=1: containerd is not touched), pushed
#   bundle    FROM scratch + /manifests, /metadata, /tests/scorecard, with the LABELs
#             of bundle.Dockerfile, as `docker build -f bundle.Dockerfile` would make
#   catalog   the opm image + /configs (opm init, opm render --use-http of the bundle
#             images, an olm.channel; checked by opm validate) + its serving cache in
#             /tmp/cache (opm serve --cache-only, owned by 1001), entrypoint /bin/opm,
#             cmd serve /configs --cache-dir=/tmp/cache, label
#             operators.operatorframework.io.index.configs.v1=/configs (like the
#             Dockerfile that `opm generate dockerfile` writes); grpc_health_probe is in
#             the opm image for the catalog pod's probes
# Every reference printed is by digest, so OLM's pods use IfNotPresent and always get
# exactly these images. Output on stdout, one line each:
#   operator VERSION REF   (one image per version, its version stamped in the binary)
#   bundle VERSION REF
#   catalog VERSION REF
# Work files: _output/olm/publish/. Env: OLM_REGISTRY_PORT (see registry.sh),
# OLM_OPERATOR_REPO (default etcd-operator), OLM_BUNDLE_REPO, OLM_CATALOG_REPO.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
log() { printf '[olm-publish] %s\n' "$*" >&2; }
die() { printf '[olm-publish] ERROR: %s\n' "$*" >&2; exit 1; }
cd "${repo}"
SECONDS=0

mk() { make --no-print-directory -s -C "${repo}" -f hack/tools.mk "$@"; }
mk crane opm-image operator-sdk > /dev/null
eval "$(mk tools-paths)"
crane() { "${CRANE}" "$@"; }
# opm pulls bundle images through containers/image, which needs a signature policy:
# its own HOME with an accept-anything one (these images never leave loopback).
opm() { HOME=${work}/opm-home "${OPM}" "$@"; }

versions=("$@")
((${#versions[@]})) || versions=(0.1.0 0.1.1)
csv_file=bundle/manifests/etcd-operator.clusterserviceversion.yaml
annotations=bundle/metadata/annotations.yaml
package=$(sed -n 's/^ *operators.operatorframework.io.bundle.package.v1: *//p' "${annotations}")
channel=$(sed -n 's/^ *operators.operatorframework.io.bundle.channel.default.v1: *//p' "${annotations}")
base_version=$(sed -n 's/^  version: *//p' "${csv_file}")
base_image=$(sed -n 's/^ *image: *\(.*etcd-operator.*\)$/\1/p' "${csv_file}" | head -n 1)
[[ -n ${package} && -n ${channel} && -n ${base_version} && -n ${base_image} ]] \
  || die "cannot read the package, default channel, version or operator image from bundle/"
[[ ${versions[0]} == "${base_version}" ]] \
  || die "the first version must be bundle/'s own (${base_version}), not ${versions[0]}"

registry=$("${repo}/hack/olm/registry.sh" start)
work=${repo}/_output/olm/publish
rm -rf "${work}"
mkdir -p "${work}/opm-home/.config/containers"
echo '{"default": [{"type": "insecureAcceptAnything"}]}' > "${work}/opm-home/.config/containers/policy.json"

# layer OUT.tar DIR UID PATH...: a reproducible tar of DIR's PATHs, owned by UID (no
# entry for DIR itself nor for the PATHs' parents, which the image's own stay).
layer() {
  local out=$1 dir=$2 uid=$3
  shift 3
  tar -C "${dir}" --sort=name --owner="${uid}" --group=0 --numeric-owner --mtime=@0 -cf "${out}" "$@"
}
# ref_of REPO:TAG -> REPO@sha256:... (what the registry serves under the tag).
ref_of() { echo "${1%:*}@$(crane digest "$1")"; }

# --- the operator images -----------------------------------------------------------------
# One per version, each built with its version stamped into the binary (it logs it at
# start-up), so that an upgrade between bundles is an upgrade of the code, not only of
# the CSV.
operator_repo=${registry}/${OLM_OPERATOR_REPO:-etcd-operator}
declare -A operator_refs
for v in "${versions[@]}"; do
  operator_tag=${operator_repo}:v${v}
  log "operator image ${v} (hack/operator-image.sh, not imported into containerd)"
  operator_tar=$(VERSION=${v} NO_IMPORT=1 "${repo}/hack/operator-image.sh" "${operator_tag}" | tail -n 1)
  [[ -f ${operator_tar} ]] || die "hack/operator-image.sh did not print an image tarball"
  crane push "${operator_tar}" "${operator_tag}" > /dev/null 2>&1 || die "crane push ${operator_tag} failed"
  # A label of its own, so that this image never has the same image ID (config digest) as
  # the identical build that hack/operator-image.sh imports as quay.io/etcd-operator/etcd-operator:v0.1.0 for
  # config/default. Otherwise, once the kubelet has pulled it from the registry, its
  # pull record (KubeletEnsureSecretPulledImages, policy NeverVerifyPreloadedImages)
  # covers that image ID for this registry's name only, and every later pod that runs
  # that name must "re-verify" by pulling from its registry: ErrImagePull.
  crane mutate "${operator_tag}" --label "io.etcd-operator.published-by=hack/olm/publish.sh" \
    -t "${operator_tag}" > /dev/null 2>&1 || die "crane mutate ${operator_tag} failed"
  operator_refs[${v}]=$(ref_of "${operator_tag}")
  echo "operator ${v} ${operator_refs[${v}]}"
done

# --- bundles ---------------------------------------------------------------------------
bundle_repo=${registry}/${OLM_BUNDLE_REPO:-etcd-operator-bundle}
# Labels of bundle.Dockerfile, quoted for crane's key=value list (values may hold commas).
label_args=()
while IFS= read -r l; do label_args+=(--label "\"${l}\""); done \
  < <(sed -n 's/^LABEL \([^=]*=.*\)$/\1/p' bundle.Dockerfile)
((${#label_args[@]} >= 6)) || die "no LABEL lines in bundle.Dockerfile"

bundle_refs=()
prev=""
for v in "${versions[@]}"; do
  dir=${work}/bundles/${v}
  mkdir -p "${dir}"
  cp -R bundle/manifests bundle/metadata "${dir}/"
  mkdir -p "${dir}/tests" && cp -R bundle/tests/scorecard "${dir}/tests/"
  csv=${dir}/manifests/etcd-operator.clusterserviceversion.yaml
  operator_ref=${operator_refs[${v}]}
  sed -i -E -e "s|^( *image: )${base_image}\$|\\1${operator_ref}|" \
    -e "s|^( *- image: )${base_image}\$|\\1${operator_ref}|" \
    -e "s|^( *containerImage: ).*\$|\\1${operator_ref}|" "${csv}"
  if [[ -n ${prev} ]]; then
    # A release of its own: createdAt is the time of this run (CSV annotations become the
    # operator pod template's annotations, so the upgrade rolls the operator's pod).
    sed -i -E -e "s|^  name: ${package}\\.v${base_version}\$|  name: ${package}.v${v}|" \
      -e "s|^(    createdAt: ).*\$|\\1\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"|" \
      -e "s|^  version: ${base_version}\$|  version: ${v}\\n  replaces: ${package}.v${prev}|" "${csv}"
  fi
  # The patches must all have applied.
  grep -q "^  name: ${package}\\.v${v}\$" "${csv}" || die "${csv}: metadata.name not set to ${package}.v${v}"
  grep -q "^  version: ${v}\$" "${csv}" || die "${csv}: spec.version not set to ${v}"
  [[ -z ${prev} ]] || grep -q "^  replaces: ${package}\\.v${prev}\$" "${csv}" || die "${csv}: spec.replaces not set"
  [[ $(grep -c "^ *image: ${operator_ref}\$" "${csv}") == 1 ]] || die "${csv}: the operator image was not replaced"
  [[ $(grep -c "^ *- image: ${operator_ref}\$" "${csv}") == 1 ]] || die "${csv}: the operator's relatedImages entry was not replaced"
  "${OPERATOR_SDK}" --plugins go.kubebuilder.io/v4 bundle validate "${dir}" > "${dir}.validate.log" 2>&1 \
    || { cat "${dir}.validate.log" >&2; die "operator-sdk bundle validate ${dir} failed"; }

  layer "${dir}.tar" "${dir}" 0 manifests metadata tests
  tag=${bundle_repo}:v${v}
  crane append -f "${dir}.tar" -t "${tag}" > /dev/null 2>&1 || die "crane append ${tag} failed"
  crane mutate "${tag}" "${label_args[@]}" -t "${tag}" > /dev/null 2>&1 || die "crane mutate ${tag} failed"
  ref=$(ref_of "${tag}")
  bundle_refs+=("${ref}")
  echo "bundle ${v} ${ref}"
  prev=${v}
done

# --- catalogs --------------------------------------------------------------------------
catalog_repo=${registry}/${OLM_CATALOG_REPO:-etcd-operator-catalog}
opm_base=${registry}/operator-framework/opm:${OPM_IMAGE##*:}
crane push "${OPM_IMAGE_TAR}" "${opm_base}" > /dev/null 2>&1 || die "crane push ${opm_base} failed"
# The rendered bundles (each once), with the image references by digest.
for i in "${!versions[@]}"; do
  opm render --use-http -o yaml "${bundle_refs[i]}" > "${work}/bundles/${versions[i]}.fbc.yaml" \
    || die "opm render ${bundle_refs[i]} failed"
done
for n in "${!versions[@]}"; do
  v=${versions[n]}
  cdir=${work}/catalogs/${v}
  pkg_dir=${cdir}/configs/${package}
  mkdir -p "${pkg_dir}"
  opm init "${package}" --default-channel="${channel}" -o yaml > "${pkg_dir}/package.yaml"
  {
    printf -- '---\nschema: olm.channel\npackage: %s\nname: %s\nentries:\n' "${package}" "${channel}"
    for ((i = 0; i <= n; i++)); do
      printf -- '- name: %s.v%s\n' "${package}" "${versions[i]}"
      ((i == 0)) || printf -- '  replaces: %s.v%s\n' "${package}" "${versions[i - 1]}"
    done
  } > "${pkg_dir}/channel.yaml"
  for ((i = 0; i <= n; i++)); do cp "${work}/bundles/${versions[i]}.fbc.yaml" "${pkg_dir}/bundle-v${versions[i]}.yaml"; done
  opm validate "${cdir}/configs" || die "opm validate ${cdir}/configs failed"
  # As the Dockerfile of `opm generate dockerfile` does (RUN as the opm image's user
  # 1001): the serving cache, built in advance; `opm serve --cache-dir` checks that it
  # matches /configs and refuses to start without it.
  opm serve "${cdir}/configs" --cache-dir="${cdir}/tmp/cache" --cache-only 2> "${cdir}.cache.log" \
    || { cat "${cdir}.cache.log" >&2; die "opm serve --cache-only ${cdir}/configs failed"; }
  layer "${cdir}.configs.tar" "${cdir}" 0 configs
  layer "${cdir}.cache.tar" "${cdir}" 1001 tmp/cache
  tag=${catalog_repo}:v${v}
  crane mutate "${opm_base}" --append "${cdir}.configs.tar" --append "${cdir}.cache.tar" --entrypoint=/bin/opm \
    --cmd=serve,/configs,--cache-dir=/tmp/cache \
    --label operators.operatorframework.io.index.configs.v1=/configs -t "${tag}" > /dev/null 2>&1 \
    || die "crane mutate ${tag} failed"
  echo "catalog ${v} $(ref_of "${tag}")"
done
log "published to ${registry} in ${SECONDS}s (work files: ${work#"${repo}"/})"
