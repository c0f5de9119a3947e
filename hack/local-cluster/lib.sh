# shellcheck shell=bash disable=SC2034
# Shared settings and helpers of hack/local-cluster/{up,down,env,load-image,build-image}.sh.
# Sourced, not run. Everything the local cluster creates is named here.
#
# Layout (all overridable through the environment before sourcing):
#   $LC_STATE  ($REPO/_output/local-cluster): certs, kubeconfigs, configs, logs, pids
#   $LC_DATA   (/var/lib/etcd-operator-local-cluster): etcd data, kubelet root,
#              containerd root (images), local-path volumes, CNI IPAM
#   $LC_RUN    (/run/etcd-operator-local-cluster): containerd socket and state, runc root

LC_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${REPO:-$(cd "${LC_LIB_DIR}/../.." && pwd)}

LC_STATE=${LC_STATE:-${REPO}/_output/local-cluster}
LC_DATA=${LC_DATA:-/var/lib/etcd-operator-local-cluster}
LC_RUN=${LC_RUN:-/run/etcd-operator-local-cluster}

# Built tools: the machine-wide cache that hack/tools.mk builds into (keyed by version),
# shared by every checkout on this machine.
if [[ -z ${ETCD_OPERATOR_TOOLS_CACHE:-} ]]; then
  if [[ ${EUID} -eq 0 ]]; then ETCD_OPERATOR_TOOLS_CACHE=/var/cache/etcd-operator-tools
  else ETCD_OPERATOR_TOOLS_CACHE=${HOME}/.cache/etcd-operator-tools; fi
fi
LC_BIN=${LC_BIN:-${ETCD_OPERATOR_TOOLS_CACHE}}
KUBE_VERSION=${KUBE_VERSION:-v1.37.2}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}            # backing store of the API server
ETCD_IMAGE_VERSION=${ETCD_IMAGE_VERSION:-v3.7.3}  # the product's default etcd image
ETCD35_VERSION=${ETCD35_VERSION:-v3.5.21}        # an etcd 3.5 image for the e2e suite
CRANE_VERSION=${CRANE_VERSION:-v0.22.1}
COREDNS_VERSION=v1.14.7
CRI_TOOLS_VERSION=v1.37.0
KUBE_BIN_DIR=${LC_BIN}/kube-${KUBE_VERSION}
KUBECTL=${KUBE_BIN_DIR}/kubectl

# Network. The node's address is the gateway address of the cni0 bridge, which
# up.sh creates before anything else, so that every component (API server, kubelet,
# CoreDNS) is reachable from pods and from the host at an address that lives on
# this machine only.
LC_NODE_NAME=${LC_NODE_NAME:-local-node}
LC_BRIDGE=cni0
LC_POD_CIDR=10.88.0.0/16
LC_NODE_IP=10.88.0.1
LC_SERVICE_CIDR=10.0.0.0/24
LC_API_SERVICE_IP=10.0.0.1
LC_DNS_IP=10.0.0.10
LC_CLUSTER_DOMAIN=cluster.local
LC_API_PORT=6443
LC_ETCD_CLIENT_PORT=12379   # not 2379/2380: those stay free for the product's etcd
LC_ETCD_PEER_PORT=12380
LC_BLACKHOLE_METRIC=4242
LC_COMMENT=etcd-operator-local-cluster

LC_CONTAINERD_SOCK=${LC_RUN}/containerd/containerd.sock
LC_SANDBOX_IMAGE=registry.k8s.io/pause:3.10

LC_KUBECONFIG=${LC_STATE}/kubeconfig/admin.kubeconfig

# Ports that must be free (or held by our own processes) before up.sh starts anything.
LC_PORTS=(
  "${LC_API_PORT}:kube-apiserver"
  "${LC_ETCD_CLIENT_PORT}:etcd" "${LC_ETCD_PEER_PORT}:etcd"
  "10257:kube-controller-manager" "10259:kube-scheduler"
  "10250:kubelet" "10248:kubelet"
  "10249:kube-proxy" "10256:kube-proxy"
  "53:coredns" "18080:coredns" "18181:coredns"
)

# Components in start order (down.sh stops them in reverse order).
LC_COMPONENTS=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy coredns provisioner)

lc_log() { printf '[local-cluster] %s\n' "$*" >&2; }
lc_die() { printf '[local-cluster] ERROR: %s\n' "$*" >&2; exit 1; }

lc_require_root() {
  [[ ${EUID} -eq 0 ]] || lc_die "must run as root (it starts containerd, a kubelet and changes routes and iptables)"
}

# --- processes ----------------------------------------------------------------------
lc_pidfile() { echo "${LC_STATE}/pids/$1.pid"; }

# lc_pid NAME: prints the pid of our running NAME process (empty if not running).
# A pid counts only if its command line still names the binary we started.
lc_pid() {
  local f pid exe
  f=$(lc_pidfile "$1")
  [[ -f ${f} ]] || return 0
  read -r pid exe < "${f}" || true
  [[ -n ${pid} ]] && lc_alive "${pid}" || return 0
  if [[ -n ${exe} ]] && ! tr '\0' ' ' < "/proc/${pid}/cmdline" 2>/dev/null | grep -qF -- "${exe}"; then
    return 0
  fi
  echo "${pid}"
}

lc_running() { [[ -n $(lc_pid "$1") ]]; }

# lc_alive PID: the process exists and is not a zombie (processes that up.sh started
# are reaped by init once up.sh has exited, which can take a while).
lc_alive() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2> /dev/null) || return 1
  [[ -n ${st} && ${st} != Z && ${st} != X ]]
}

# lc_start NAME CMD...: starts CMD in its own session (so that its whole process group
# can be stopped), appending to logs/NAME.log, and records "pid exe" in pids/NAME.pid,
# exe being the first absolute path among CMD's words (what lc_pid looks for).
lc_start() {
  local name=$1; shift
  local log=${LC_STATE}/logs/${name}.log
  mkdir -p "${LC_STATE}/logs" "${LC_STATE}/pids"
  printf '\n===== %s starting %s =====\n' "$(date -Is)" "${name}" >> "${log}"
  local exe="" a
  for a in "$@"; do [[ ${a} == /* ]] && { exe=${a}; break; }; done
  setsid "$@" >> "${log}" 2>&1 < /dev/null &
  echo "$! ${exe}" > "$(lc_pidfile "${name}")"
}

# lc_stop NAME [TIMEOUT]: TERM to the process group, KILL after TIMEOUT seconds.
lc_stop() {
  local name=$1 timeout=${2:-15} pid i
  pid=$(lc_pid "${name}")
  if [[ -n ${pid} ]]; then
    kill -TERM -- "-${pid}" 2>/dev/null || kill -TERM "${pid}" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      lc_alive "${pid}" || break
      sleep 0.1
    done
    if lc_alive "${pid}"; then
      lc_log "${name} (pid ${pid}) did not stop in ${timeout}s: killing it"
      kill -KILL -- "-${pid}" 2>/dev/null || kill -KILL "${pid}" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  rm -f "$(lc_pidfile "${name}")"
}

# --- waiting ------------------------------------------------------------------------
# lc_wait SECONDS DESCRIPTION CMD...: retries CMD every 0.2 s.
lc_wait() {
  local timeout=$1 what=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" > /dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      lc_log "timed out after ${timeout}s waiting for ${what}"
      return 1
    fi
    sleep 0.2
  done
}

lc_now() { date +%s.%N; }
lc_elapsed() { awk -v a="$1" -v b="$(lc_now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- tools built from hack/local-cluster/<tool> ---------------------------------------
# lc_tool_path TOOL [UPSTREAM_VERSION] [BINARY]: path of the binary of the small module
# hack/local-cluster/TOOL, in bin/TOOL-<upstream version>-<hash of the module's files>/.
# The hash makes a changed module build again; an unchanged one is never rebuilt.
lc_tool_path() {
  local tool=$1 upstream=${2:-} bin=${3:-$1} dir hash
  dir=${LC_LIB_DIR}/${tool}
  hash=$(cd "${dir}" && cat go.mod go.sum ./*.go 2>/dev/null | sha256sum | cut -c1-10)
  echo "${LC_BIN}/${tool}-${upstream:+${upstream}-}${hash}/${bin}"
}

# lc_build_tool TOOL [UPSTREAM_VERSION] [PACKAGE] [LDFLAGS]: builds the tool once (under
# the lock of hack/tools/build.sh, so that it never runs next to another tool build).
lc_build_tool() {
  local tool=$1 upstream=${2:-} pkg=${3:-.} ldflags=${4:-} dest bin
  bin=${tool}
  dest=$(lc_tool_path "${tool}" "${upstream}" "${bin}")
  [[ -x ${dest} ]] && { echo "${dest}"; return 0; }
  TOOLS_LOCK_FILE=${LC_BIN}/.tools-build.lock "${REPO}/hack/tools/build.sh" "${dest}" \
    "${tool}${upstream:+ ${upstream}} (hack/local-cluster/${tool}, one-time)" \
    "cd '${LC_LIB_DIR}/${tool}' && GOWORK=off GOFLAGS= CGO_ENABLED=0 go build -buildvcs=false -trimpath -ldflags '-s -w ${ldflags}' -o \"\$TOOLS_OUT/${bin}\" ${pkg}" >&2
  echo "${dest}"
}

lc_imgtool() { lc_tool_path imgtool "${CRANE_VERSION}"; }

# --- images -------------------------------------------------------------------------
lc_ctr() { ctr --address "${LC_CONTAINERD_SOCK}" -n k8s.io "$@"; }

# lc_import_image TARBALL [TAG]: imports an image tarball into our containerd, unless
# TAG already points at the image that the same tarball (by sha256) gave last time.
lc_import_image() {
  local tar=$1 tag=${2:-} sum stamp digest
  [[ -f ${tar} ]] || lc_die "no such image tarball: ${tar}"
  lc_running containerd || lc_die "the local cluster's containerd is not running (run hack/local-cluster/up.sh)"
  sum=$(sha256sum "${tar}" | cut -c1-64)
  stamp=${LC_DATA}/containerd-imports/${sum}
  if [[ -n ${tag} && -s ${stamp} ]]; then
    digest=$(lc_image_digest "${tag}")
    [[ -n ${digest} && ${digest} == "$(cat "${stamp}")" ]] && return 0
  fi
  lc_ctr images import "${tar}" >&2 || return 1
  if [[ -n ${tag} ]]; then
    mkdir -p "${LC_DATA}/containerd-imports"
    lc_image_digest "${tag}" > "${stamp}"
  fi
}

# lc_image_digest TAG: digest that TAG points at in our containerd (empty if absent).
lc_image_digest() {
  lc_ctr images ls "name==$1" 2>/dev/null | awk -v t="$1" '$1 == t { print $3 }'
}
