#!/usr/bin/env bash
# Builds one tool binary for hack/tools.mk, once.
#
#   build.sh DEST DESCRIPTION COMMAND
#
# Does nothing if DEST already exists. Otherwise it takes a lock (so that tool builds
# never run in parallel, even under `make -j` or from two shells), checks DEST again,
# runs COMMAND with bash and TOOLS_OUT set to a fresh empty directory next to DEST,
# and moves the single file that COMMAND wrote there to DEST. A build that fails or is
# interrupted leaves nothing at DEST.
#
# Progress goes to stderr, so that callers can read the tool path from stdout.
# TOOLS_LOCK_FILE overrides the lock file (default: .tools-build.lock next to the
# parent of DEST's directory, that is bin/.tools-build.lock).
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 DEST DESCRIPTION COMMAND" >&2
  exit 2
fi
dest=$1
desc=$2
cmd=$3

[[ -e "${dest}" ]] && exit 0

dest_dir=$(dirname "${dest}")
mkdir -p "${dest_dir}"
lock_file=${TOOLS_LOCK_FILE:-$(dirname "${dest_dir}")/.tools-build.lock}

if command -v flock >/dev/null 2>&1; then
  exec 9>"${lock_file}"
  if ! flock -n 9; then
    echo "waiting for another tool build to finish (lock ${lock_file})..." >&2
    flock 9
  fi
  # Someone else may have built it while we waited.
  [[ -e "${dest}" ]] && exit 0
fi

TOOLS_OUT=$(mktemp -d "${dest_dir}/.build.XXXXXX")
export TOOLS_OUT
trap 'rm -rf "${TOOLS_OUT}"' EXIT

echo "building ${desc}..." >&2
start=${SECONDS}
if ! bash -euo pipefail -c "${cmd}"; then
  echo "FAILED to build ${dest} after $((SECONDS - start))s" >&2
  exit 1
fi

shopt -s nullglob dotglob
produced=("${TOOLS_OUT}"/*)
if [[ ${#produced[@]} -ne 1 ]]; then
  echo "expected exactly one file from the build of ${dest}, got ${#produced[@]}" >&2
  exit 1
fi
mv -f "${produced[0]}" "${dest}"
echo "built ${dest} in $((SECONDS - start))s" >&2
