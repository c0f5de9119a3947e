#!/usr/bin/env bash
# Imports image tarballs (docker-save or OCI layout tar, e.g. from crane or
# build-image.sh) into the local cluster's containerd, where the kubelet finds them.
# Pods must use imagePullPolicy IfNotPresent or Never: nothing can be pulled.
#
#   hack/local-cluster/load-image.sh IMAGE.tar [IMAGE.tar...]
set -euo pipefail
# shellcheck source=hack/local-cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
(($#)) || lc_die "usage: $0 IMAGE.tar [IMAGE.tar...]"
lc_require_root
for t in "$@"; do
  lc_import_image "${t}"
done
lc_ctr images ls -q | grep -v '^sha256:' >&2 || true
