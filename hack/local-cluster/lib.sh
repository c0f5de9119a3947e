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
ETCD35_FLOOR_VERSION=${ETCD35_FLOOR_VERSION:-v3.5.32}  # the 3.5 floor before 3.6 (e2e upgrade path)
CRANE_VERSION=${CRANE_VERSION:-v0.22.1}
COREDNS_VERSION=v1.14.7
CRI_TOOLS_VERSION=v1.37.0
KUBE_BIN_DIR=${LC_BIN}/kube-${KUBE_VERSION}
KUBECTL=${KUBE_BIN_DIR}/kubectl

# Network. The node's address is the gateway address of our bridge (first address of
# the pod range), which up.sh creates before anything else, so that every component
# (API server, kubelet, CoreDNS) is reachable from pods and from the host at an address
# that lives on this machine only. The bridge and the ranges are our own (not cni0 /
# 10.88.0.0/16, which containerd's and podman's default CNI networks use); up.sh checks
# that no address or route of the machine overlaps the ranges before it uses them.
#   LC_BRIDGE        bridge name (etcdop0; at most 15 characters)
#   LC_POD_CIDR      pod range, /8 to /24 (10.176.0.0/16); the node is its .1
#   LC_SERVICE_CIDR  service range, /12 to /28 (10.177.0.0/24); .1 is the API server's
#                    ClusterIP, .10 CoreDNS's
LC_NODE_NAME=${LC_NODE_NAME:-local-node}
LC_BRIDGE=${LC_BRIDGE:-etcdop0}
LC_POD_CIDR=${LC_POD_CIDR:-10.176.0.0/16}
LC_SERVICE_CIDR=${LC_SERVICE_CIDR:-10.177.0.0/24}
LC_CLUSTER_DOMAIN=cluster.local
LC_API_PORT=6443
LC_ETCD_CLIENT_PORT=12379   # not 2379/2380: those stay free for the product's etcd
LC_ETCD_PEER_PORT=12380
LC_BLACKHOLE_METRIC=4242
# Marks of what is ours on the machine, so that down.sh finds it without our state dir:
# the iptables comment and chain prefix, the routing protocol number of our routes,
# the bridge's alias, and the environment variable that every host process we start
# carries (its value is LC_DATA).
LC_COMMENT=etcd-operator-local-cluster
LC_CHAIN_PREFIX=ETCDOP-LC-
LC_ROUTE_PROTO=241
LC_OWNER_ENV=ETCD_OPERATOR_LOCAL_CLUSTER

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

# --- IPv4 ranges ------------------------------------------------------------------------
lc_ip2int() { local a b c d; IFS=. read -r a b c d <<< "$1"; echo $(( (a << 24) | (b << 16) | (c << 8) | d )); }
lc_int2ip() { echo "$(( ($1 >> 24) & 255 )).$(( ($1 >> 16) & 255 )).$(( ($1 >> 8) & 255 )).$(( $1 & 255 ))"; }
# lc_cidr_valid CIDR: a.b.c.d/n with a.b.c.d the network address.
lc_cidr_valid() {
  [[ $1 =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})/([0-9]{1,2})$ ]] || return 1
  local i n=${BASH_REMATCH[5]} ip
  for i in 1 2 3 4; do ((BASH_REMATCH[i] <= 255)) || return 1; done
  ((n >= 1 && n <= 32)) || return 1
  ip=$(lc_ip2int "${1%/*}")
  (( (ip & ~((0xffffffff << (32 - n)) & 0xffffffff)) == 0 ))
}
# lc_cidr_first CIDR / lc_cidr_last CIDR: first and last address as integers.
lc_cidr_first() { local n=${1#*/}; echo $(( $(lc_ip2int "${1%/*}") & ((0xffffffff << (32 - n)) & 0xffffffff) )); }
lc_cidr_last() { local n=${1#*/}; echo $(( $(lc_cidr_first "$1") | ((1 << (32 - n)) - 1) )); }
# lc_cidr_overlap A B: the two ranges share an address (a plain address counts as /32).
lc_cidr_overlap() {
  local a=$1 b=$2
  [[ ${a} == */* ]] || a=${a}/32
  [[ ${b} == */* ]] || b=${b}/32
  (( $(lc_cidr_first "${a}") <= $(lc_cidr_last "${b}") && $(lc_cidr_first "${b}") <= $(lc_cidr_last "${a}") ))
}
# lc_cidr_host CIDR K: the K-th address of CIDR.
lc_cidr_host() { lc_int2ip $(( $(lc_cidr_first "$1") + $2 )); }

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
  # The environment marks the process as ours (lc_find_procs finds it without pidfiles).
  setsid env "${LC_OWNER_ENV}=${LC_DATA}" "${LC_OWNER_ENV}_STATE=${LC_STATE}" "$@" >> "${log}" 2>&1 < /dev/null &
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

# lc_find_procs: pids of every process of a local cluster on this machine, whichever
# checkout started it and whether or not its state dir still exists: processes that
# carry our environment marker (LC_OWNER_ENV=LC_DATA), containerd shims on our socket,
# and (clusters started before the marker existed) processes whose command line names
# a local cluster's state or our directories and whose binary is in the tool cache, or
# is containerd. Never this script or its parents, never kubectl.
lc_find_procs() {
  local f pid exe cmd self=" $$ ${BASHPID} " p=$$
  while [[ -n ${p} && ${p} != 0 && ${p} != 1 ]]; do
    p=$(awk '{print $4}' "/proc/${p}/stat" 2> /dev/null) || break
    self+="${p} "
  done
  {
    grep -lsFxz -- "${LC_OWNER_ENV}=${LC_DATA}" /proc/[0-9]*/environ | sed 's|/environ$| marker|' || true
    grep -lsF -e "/_output/local-cluster/" -e "${LC_DATA}/" -e "${LC_RUN}/" /proc/[0-9]*/cmdline | sed 's|/cmdline$| cmdline|' || true
  } | while read -r f why; do
    pid=${f#/proc/}
    [[ ${self} == *" ${pid} "* ]] && continue
    lc_alive "${pid}" || continue
    [[ ${why} == marker ]] && { echo "${pid}"; continue; }
    cmd=$(tr '\0' ' ' 2> /dev/null < "${f}/cmdline") || continue
    if [[ ${cmd} == *containerd-shim*"-address ${LC_CONTAINERD_SOCK} "* ]]; then echo "${pid}"; continue; fi
    exe=$(readlink "${f}/exe" 2> /dev/null) || continue
    [[ ${exe##*/} == kubectl ]] && continue
    if [[ ${exe} == "${LC_BIN}/"* || ${exe##*/} == containerd || ${cmd} == *"${LC_BIN}/kube-"* ]]; then
      echo "${pid}"
    fi
  done | sort -un || true
}

# lc_kill_procs PID...: TERM, then KILL after 5 s what is still alive.
lc_kill_procs() {
  (($#)) || return 0
  local pid i alive
  kill -TERM "$@" 2> /dev/null || true
  for ((i = 0; i < 50; i++)); do
    alive=0
    for pid in "$@"; do lc_alive "${pid}" && { alive=1; break; }; done
    ((alive)) || return 0
    sleep 0.1
  done
  kill -KILL "$@" 2> /dev/null || true
  sleep 0.2
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

# --- derived network settings (checked here, so that every script agrees) ---------------
{ lc_cidr_valid "${LC_POD_CIDR}" && ((${LC_POD_CIDR#*/} >= 8 && ${LC_POD_CIDR#*/} <= 24)); } ||
  lc_die "LC_POD_CIDR=${LC_POD_CIDR}: want an IPv4 network address with a prefix from /8 to /24 (e.g. 10.176.0.0/16)"
{ lc_cidr_valid "${LC_SERVICE_CIDR}" && ((${LC_SERVICE_CIDR#*/} >= 12 && ${LC_SERVICE_CIDR#*/} <= 28)); } ||
  lc_die "LC_SERVICE_CIDR=${LC_SERVICE_CIDR}: want an IPv4 network address with a prefix from /12 to /28 (e.g. 10.177.0.0/24)"
lc_cidr_overlap "${LC_POD_CIDR}" "${LC_SERVICE_CIDR}" && lc_die "LC_POD_CIDR=${LC_POD_CIDR} and LC_SERVICE_CIDR=${LC_SERVICE_CIDR} overlap"
[[ ${LC_BRIDGE} =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || lc_die "LC_BRIDGE=${LC_BRIDGE}: want 1 to 15 of [A-Za-z0-9_.-]"
LC_NODE_IP=$(lc_cidr_host "${LC_POD_CIDR}" 1)
LC_API_SERVICE_IP=$(lc_cidr_host "${LC_SERVICE_CIDR}" 1)
LC_DNS_IP=$(lc_cidr_host "${LC_SERVICE_CIDR}" 10)
