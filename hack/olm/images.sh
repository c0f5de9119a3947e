#!/usr/bin/env bash
# Builds (once, through hack/tools.mk) the image tarballs for OLM and scorecard runs on
# the local cluster, and prints one "TAG TARBALL" line per image. Touches no cluster:
# hack/olm/install.sh imports them.
#
#   hack/olm/images.sh
#
# The images (hack/olm/build-image.sh says what each holds):
#   quay.io/operator-framework/scorecard-test:v1.42.3  operator-sdk scorecard's test pods
#   quay.io/operator-framework/opm:v1.59.0             --opmImage of the catalog operator
#                                                      (bundle unpack Jobs) and the base
#                                                      of file-based catalog images
#   quay.io/operator-framework/olm:v0.33.0             olm-operator, catalog-operator,
#                                                      packageserver and --util-image
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mk() { make --no-print-directory -s -C "${repo}" -f hack/tools.mk "$@"; }
mk scorecard-test opm-image olm > /dev/null
eval "$(mk tools-paths)"
printf '%s %s\n' \
  "${SCORECARD_TEST_IMAGE}" "${SCORECARD_TEST_IMAGE_TAR}" \
  "${OPM_IMAGE}" "${OPM_IMAGE_TAR}" \
  "${OLM_IMAGE}" "${OLM_IMAGE_TAR}"
