#!/usr/bin/env bash
# Builds the operator image without Docker, with the same contents as the
# Dockerfile (the static manager, watches.yaml and the chart under /opt/helm),
# and imports it into the local cluster.
#
#   hack/operator-image.sh [TAG]      default quay.io/etcd-operator/etcd-operator:v0.1.0
#   VERSION=0.1.1 hack/operator-image.sh TAG   the version the binary reports (default 0.1.0)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tag=${1:-quay.io/etcd-operator/etcd-operator:v0.1.0}
stage=${repo}/_output/image/operator
rm -rf "${stage}"
mkdir -p "${stage}/opt/helm"
(cd "${repo}" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION:-0.1.0}" -o "${stage}/manager" ./cmd)
cp "${repo}/watches.yaml" "${stage}/opt/helm/watches.yaml"
cp -r "${repo}/helm-charts" "${stage}/opt/helm/helm-charts"
IMAGE_USER=65532 "${repo}/hack/local-cluster/build-image.sh" "${tag}" "${stage}" /manager --watches-file=/opt/helm/watches.yaml
