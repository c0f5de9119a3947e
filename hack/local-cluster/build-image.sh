#!/usr/bin/env bash
# Builds an image from local files (no base image, no Docker) and imports it into the
# local cluster's containerd.
#
#   hack/local-cluster/build-image.sh TAG BINARY-OR-DIR [ENTRYPOINT...]
#
# BINARY goes to /usr/local/bin/<name>, and is the entrypoint unless one is given.
# A DIR becomes the image root (DIR/usr/bin/x -> /usr/bin/x); give the entrypoint.
# The image also holds /etc/passwd and /etc/group with root and nonroot (65532),
# /home/nonroot and a world-writable /tmp. The tarball stays in
# _output/local-cluster/images/ (crane push can publish it elsewhere). Env:
#   IMAGE_USER=65532   set the image's default user
#   NO_IMPORT=1        only build the tarball (the cluster need not be up)
set -euo pipefail
# shellcheck source=hack/local-cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
(($# >= 2)) || lc_die "usage: $0 TAG BINARY-OR-DIR [ENTRYPOINT...]"
tag=$1 src=$2; shift 2
[[ -e ${src} ]] || lc_die "no such file or directory: ${src}"
src=$(cd "$(dirname "${src}")" && pwd)/$(basename "${src}")
imgtool=$(lc_build_tool imgtool "${CRANE_VERSION}")
args=(-t "${tag}")
[[ -n ${IMAGE_USER:-} ]] && args+=(-user "${IMAGE_USER}")
if (($#)); then
  for e in "$@"; do args+=(-entrypoint "${e}"); done
elif [[ -f ${src} ]]; then
  args+=(-entrypoint "/usr/local/bin/$(basename "${src}")")
fi
if [[ -d ${src} ]]; then args+=("${src}:/"); else args+=("${src}:/usr/local/bin/$(basename "${src}")"); fi
out=${LC_STATE}/images/$(echo "${tag}" | tr '/:@' '___').tar
"${imgtool}" -o "${out}" "${args[@]}"
if [[ ${NO_IMPORT:-0} != 1 ]]; then
  lc_require_root
  lc_import_image "${out}" "${tag}"
  echo "imported ${tag}" >&2
fi
echo "${out}"
