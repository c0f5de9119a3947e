#!/usr/bin/env bash
# Builds one image tarball ("docker save" layout, which `ctr images import` and
# `crane push` accept) of the OLM-related programs that hack/tools.mk builds, without
# Docker and without a base image: static binaries on the minimal root of
# hack/local-cluster/imgtool (/etc/passwd and /etc/group with root, nobody and nonroot,
# /etc/nsswitch.conf, /tmp). Called by hack/tools.mk; does not touch any cluster.
#
#   hack/olm/build-image.sh scorecard-test TAG OUT.tar SCORECARD-TEST-BINARY
#   hack/olm/build-image.sh opm            TAG OUT.tar OPM-BINARY GRPC-HEALTH-PROBE-BINARY
#   hack/olm/build-image.sh olm            TAG OUT.tar OLM-BIN-DIR
#   hack/olm/build-image.sh untar          TAG OUT.tar TAR-BINARY
#
# What each holds (the same paths, user and entrypoint as upstream's Dockerfiles):
#   scorecard-test  /usr/local/bin/scorecard-test, user 1001 (scorecard-test in
#                   /etc/passwd), workdir and HOME /opt/scorecard-test, entrypoint
#                   /usr/local/bin/scorecard-test (operator-sdk images/scorecard-test)
#   opm             /bin/opm, /bin/grpc_health_probe, user 1001, entrypoint /bin/opm
#                   (operator-registry release/goreleaser.opm.Dockerfile)
#   olm             /bin/{olm,catalog,package-server,copy-content,cpb,cp}, user 1001,
#                   workdir /, entrypoint /bin/olm (OLM's Dockerfile; /bin/cp stands
#                   for distroless busybox's cp, which the catalog operator's pods run)
#   untar           /bin/tar (hack/tools/untar), PATH=/bin, user 65532, no entrypoint:
#                   operator-sdk scorecard's --untar-image, whose init container runs
#                   `tar xvzf /scorecard/bundle.tar.gz -C /scorecard-bundle` as its args
# The tarball is written atomically (imgtool writes OUT.tar.tmp, then renames it).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/local-cluster/lib.sh
source "${here}/../local-cluster/lib.sh"

die() { printf 'hack/olm/build-image.sh: %s\n' "$*" >&2; exit 1; }
(($# >= 4)) || die "usage: $0 scorecard-test|opm|olm|untar TAG OUT.tar SRC..."
kind=$1 tag=$2 out=$3
shift 3
for f in "$@"; do [[ -e ${f} ]] || die "no such file or directory: ${f}"; done

imgtool=$(lc_build_tool imgtool "${CRANE_VERSION}")
stage=$(mktemp -d)
trap 'rm -rf "${stage}"' EXIT

# The imgtool base's /etc/passwd, plus a line: upstream's images append their user.
passwd_with() {
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
    'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' "$1" > "${stage}/passwd"
}

args=(-t "${tag}" -o "${out}")
case ${kind} in
  scorecard-test)
    (($# == 1)) || die "scorecard-test takes one binary"
    home=/opt/scorecard-test
    passwd_with "scorecard-test:x:1001:0:scorecard-test user:${home}:/sbin/nologin"
    args+=(-user 1001 -workdir "${home}" -mkdir "${home}"
      -env "HOME=${home}" -env USER_NAME=scorecard-test -env USER_UID=1001
      -entrypoint /usr/local/bin/scorecard-test
      "${stage}/passwd:/etc/passwd" "$1:/usr/local/bin/scorecard-test")
    ;;
  opm)
    (($# == 2)) || die "opm takes the opm and grpc_health_probe binaries"
    args+=(-user 1001 -entrypoint /bin/opm "$1:/bin/opm" "$2:/bin/grpc_health_probe")
    ;;
  olm)
    if (($# != 1)) || [[ ! -d $1 ]]; then die "olm takes the directory of the OLM binaries"; fi
    args+=(-user 1001 -workdir / -entrypoint /bin/olm)
    for b in olm catalog package-server copy-content cpb cp; do
      [[ -x $1/${b} ]] || die "missing $1/${b}"
      args+=("$1/${b}:/bin/${b}")
    done
    ;;
  untar)
    (($# == 1)) || die "untar takes the tar binary"
    args+=(-user 65532 -env PATH=/bin "$1:/bin/tar")
    ;;
  *) die "unknown image kind ${kind} (scorecard-test, opm, olm or untar)" ;;
esac

mkdir -p "$(dirname "${out}")"
echo "building image ${tag} -> ${out}" >&2
start=${SECONDS}
"${imgtool}" "${args[@]}" >&2
echo "built ${out} in $((SECONDS - start))s" >&2
