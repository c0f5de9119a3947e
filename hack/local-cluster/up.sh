#!/usr/bin/env bash
# Brings up a real single-node Kubernetes cluster on this machine, as host processes:
# containerd (own config, socket and directories), etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy, CoreDNS and a local-path
# volume provisioner. Needs root. Idempotent: on a running cluster it only checks and
# says "already up".
#
#   hack/local-cluster/up.sh            (make cluster-up)
#   eval "$(hack/local-cluster/env.sh)" then kubectl ...
#   hack/local-cluster/down.sh          (make cluster-down)
#
# Environment: LC_ALLOW_FOREIGN_CONTAINERD=1 lets it run next to a containerd that it
# did not start (ours uses its own socket and directories); LC_NODE_NAME (local-node);
# LC_BRIDGE (etcdop0), LC_POD_CIDR (10.176.0.0/16), LC_SERVICE_CIDR (10.177.0.0/24):
# the bridge and ranges, refused if an address or route of the machine overlaps them.
# Leftovers of a local cluster that is not this checkout's (another checkout's, or one
# that died with its state dir) are removed first (down.sh --keep-data).
# Images present after up: registry.k8s.io/pause:3.10 (sandbox), quay.io/coreos/etcd:v3.7.3
# quay.io/coreos/etcd:v3.6.16, v3.5.21 and v3.5.32 (static etcd + etcdctl in /usr/local/bin; etcdutl too in the default version's). Nothing can
# be pulled: pods must use imagePullPolicy IfNotPresent or Never. See README.md.
set -Eeuo pipefail

# shellcheck source=hack/local-cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=hack/local-cluster/net.sh
source "${LC_LIB_DIR}/net.sh"

lc_require_root
T0=$(lc_now)
declare -a TIMINGS=()
phase_start() { PHASE=$1; PT=$(lc_now); }
phase_end() { TIMINGS+=("$(printf '%-28s %6ss' "${PHASE}" "$(lc_elapsed "${PT}")")"); }

kc() { "${KUBECTL}" --kubeconfig "${LC_KUBECONFIG}" "$@"; }
api_ready() { kc get --raw /readyz > /dev/null 2>&1; }
node_ready() {
  [[ $(kc get node "${LC_NODE_NAME}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

print_result() {
  echo "KUBECONFIG=${LC_KUBECONFIG}"
  echo "kubectl:   ${KUBECTL}"
  echo "use:       eval \"\$(${LC_LIB_DIR}/env.sh)\""
}

# --- already up? --------------------------------------------------------------------
all_running() {
  local c
  for c in "${LC_COMPONENTS[@]}"; do lc_running "${c}" || return 1; done
}
# The scripts' hash: a running cluster started by other versions of them gets the full
# pass (which restarts only the components whose command line or config changed).
SCRIPTS_HASH=$( { cat "${LC_LIB_DIR}"/{up,lib,net}.sh; echo "${LC_BRIDGE} ${LC_POD_CIDR} ${LC_SERVICE_CIDR}"; } | sha256sum | cut -c1-16)
UP_STAMP=${LC_STATE}/pids/up.hash
if all_running && [[ -x ${KUBECTL} && $(cat "${UP_STAMP}" 2> /dev/null) == "${SCRIPTS_HASH}" ]] && api_ready && node_ready; then
  lc_net_up # re-assert the containment rules (cheap, idempotent)
  lc_log "already up ($(lc_elapsed "${T0}")s)"
  print_result
  exit 0
fi

# --- binaries -------------------------------------------------------------------------
phase_start "binaries"
make --no-print-directory -s -f "${REPO}/hack/tools.mk" kube-binaries envtest-assets etcd-image-binary crane > /dev/null
ETCD_DIR=${LC_BIN}/etcd-${ETCD_VERSION}
ETCD_IMAGE_DIR=${LC_BIN}/etcd-${ETCD_IMAGE_VERSION}
for f in "${KUBE_BIN_DIR}"/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kube-proxy,kubectl} \
  "${ETCD_DIR}"/{etcd,etcdctl} "${ETCD_IMAGE_DIR}"/{etcd,etcdctl,etcdutl}; do
  [[ -x ${f} ]] || lc_die "missing ${f} after make -f hack/tools.mk"
done
PAUSE=$(lc_build_tool pause)
IMGTOOL=$(lc_build_tool imgtool "${CRANE_VERSION}")
DNSCHECK=$(lc_build_tool dnscheck)
COREDNS=$(lc_build_tool coredns "${COREDNS_VERSION}")
PROVISIONER=$(lc_build_tool provisioner)
# crictl: down.sh removes the pods through the CRI with it.
lc_build_tool crictl "${CRI_TOOLS_VERSION}" sigs.k8s.io/cri-tools/cmd/crictl \
  "-X sigs.k8s.io/cri-tools/pkg/version.Version=${CRI_TOOLS_VERSION#v}" > /dev/null
phase_end

# --- Debian packages ------------------------------------------------------------------
phase_start "packages"
declare -A PKG_CMD=([containerd]=containerd [runc]=runc [containernetworking-plugins]=/usr/lib/cni/bridge
  [iptables]=iptables [conntrack]=conntrack [openssl]=openssl [iproute2]=ip)
missing=()
for p in "${!PKG_CMD[@]}"; do
  c=${PKG_CMD[${p}]}
  if [[ ${c} == /* ]]; then [[ -x ${c} ]] || missing+=("${p}"); else command -v "${c}" > /dev/null || missing+=("${p}"); fi
done
[[ -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] || missing+=(containernetworking-plugins)
if ((${#missing[@]})); then
  lc_log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
phase_end

# --- leftovers of a local cluster that is not ours: removed ---------------------------------
phase_start "leftovers"
# Processes of a local cluster that this checkout did not start (their environment
# names another state dir, or they predate the marker), or, with none of ours running,
# anything of a local cluster on the machine (a cluster that died).
foreign=()
any_ours=0
for c in "${LC_COMPONENTS[@]}"; do lc_running "${c}" && any_ours=1; done
for pid in $(lc_find_procs); do
  tr '\0' '\n' < "/proc/${pid}/environ" 2> /dev/null | grep -qxF "${LC_OWNER_ENV}_STATE=${LC_STATE}" && continue
  # Shims on the socket of our running containerd are ours, whatever their environment.
  if lc_running containerd && tr '\0' ' ' < "/proc/${pid}/cmdline" 2> /dev/null | grep -qF -- "-address ${LC_CONTAINERD_SOCK} "; then
    continue
  fi
  foreign+=("${pid}")
done
if ((${#foreign[@]})) || { ((any_ours == 0)) && [[ -n $(lc_leftovers) ]]; }; then
  lc_log "a local cluster that this checkout did not start, or its leftovers, is on this machine:"
  lc_leftovers | while read -r l; do lc_log "  ${l}"; done
  lc_log "removing it (down.sh --keep-data)"
  "${LC_LIB_DIR}/down.sh" --keep-data
  any_ours=0
fi
phase_end

# --- preflight: refuse before starting anything -----------------------------------------
phase_start "preflight"
problems=()
ours_pids=" "
for c in "${LC_COMPONENTS[@]}"; do ours_pids+="$(lc_pid "${c}") "; done
# A containerd that is not ours (a system one, or another tool's).
for pid in $(pgrep -x containerd || true); do
  if [[ ${ours_pids} != *" ${pid} "* && ${LC_ALLOW_FOREIGN_CONTAINERD:-0} != 1 ]]; then
    problems+=("a containerd that this script did not start is running (pid ${pid}: $(tr '\0' ' ' < "/proc/${pid}/cmdline" 2>/dev/null)).
      Stop it first, or set LC_ALLOW_FOREIGN_CONTAINERD=1 to run ours beside it (ours uses ${LC_CONTAINERD_SOCK} and its own directories).")
  fi
done
# Ports: free, or held by one of our processes.
listener_pids() { # PORT [ADDR]: pids listening on PORT (on ADDR or a wildcard)
  ss -Hltunp "sport = :$1" 2>/dev/null | awk -v a="${2:-}" '
    { split($5, hp, ":"); host=$5; sub(/:[^:]*$/, "", host)
      if (a != "" && host != a && host != "0.0.0.0" && host != "*" && host != "[::]") next
      while (match($0, /pid=[0-9]+/)) { print substr($0, RSTART+4, RLENGTH-4); $0=substr($0, RSTART+RLENGTH) } }' | sort -u
}
for entry in "${LC_PORTS[@]}"; do
  port=${entry%%:*} who=${entry#*:} addr=""
  [[ ${port} == 53 ]] && addr=${LC_NODE_IP}
  for pid in $(listener_pids "${port}" "${addr}"); do
    if [[ ${ours_pids} != *" ${pid} "* ]] && ! lc_running "${who}"; then
      problems+=("port ${port} (needed by ${who}) is in use by pid ${pid} ($(tr '\0' ' ' < "/proc/${pid}/cmdline" 2>/dev/null | cut -c1-120))")
    fi
  done
done
# Address ranges: no address or route of someone else's may overlap ours.
for cidr in "${LC_POD_CIDR}" "${LC_SERVICE_CIDR}"; do
  while read -r line; do
    [[ -n ${line} ]] && problems+=("${line} overlaps ${cidr}: choose free ranges with LC_POD_CIDR / LC_SERVICE_CIDR (see hack/local-cluster/README.md)")
  done < <(lc_range_conflicts "${cidr}")
done
if ip link show "${LC_BRIDGE}" > /dev/null 2>&1 && ! lc_bridge_is_ours "${LC_BRIDGE}"; then
  problems+=("an interface ${LC_BRIDGE} exists that is not ours (no alias ${LC_COMMENT}): choose another name with LC_BRIDGE")
fi
for d in /sys/fs/cgroup/*/kubepods; do
  if [[ -d ${d} && ! -f ${LC_BASELINE}/complete ]] && ! lc_running kubelet; then
    if [[ -n $(find "${d}" -name cgroup.procs -exec cat {} + 2>/dev/null | head -1) ]]; then
      problems+=("${d} holds processes: another kubelet's pods are running on this machine")
    fi
  fi
done
if ((${#problems[@]})); then
  for p in "${problems[@]}"; do lc_log "refusing to start: ${p}"; done
  exit 1
fi
phase_end

# --- from here on, a failure tears down what was started --------------------------------
on_error() {
  local rc=$?
  lc_log "bring-up FAILED (exit ${rc}) in phase '${PHASE:-?}'. Logs: ${LC_STATE}/logs/"
  for c in "${LC_COMPONENTS[@]}"; do
    if [[ -f ${LC_STATE}/logs/${c}.log ]] && ! lc_running "${c}" && [[ -f $(lc_pidfile "${c}") ]]; then
      lc_log "--- ${c} exited; last log lines:"; tail -n 15 "${LC_STATE}/logs/${c}.log" >&2
    fi
  done
  if [[ ${LC_KEEP_ON_FAILURE:-0} != 1 ]]; then
    lc_log "tearing down (set LC_KEEP_ON_FAILURE=1 to keep the half-started cluster for debugging)"
    "${LC_LIB_DIR}/down.sh" --keep-data >&2 || true
  fi
  exit "${rc}"
}
trap on_error ERR

# --- certificates and kubeconfigs (once) ------------------------------------------------
phase_start "certificates+configs"
PKI=${LC_STATE}/pki
KCFG=${LC_STATE}/kubeconfig
CFG=${LC_STATE}/config
mkdir -p "${PKI}" "${KCFG}" "${CFG}" "${LC_STATE}/logs" "${LC_STATE}/pids"
chmod 700 "${PKI}" "${KCFG}"

if [[ ! -s ${PKI}/ca.crt || ! -s ${PKI}/ca.key ]]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "${PKI}/ca.key" 2> /dev/null
  openssl req -x509 -new -key "${PKI}/ca.key" -sha256 -days 3650 -subj "/CN=etcd-operator-local-cluster-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "${PKI}/ca.crt"
  rm -f "${PKI}"/*.spec
fi
# The aggregation layer's client CA (front proxy), separate from the cluster CA.
if [[ ! -s ${PKI}/front-proxy-ca.crt || ! -s ${PKI}/front-proxy-ca.key ]]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "${PKI}/front-proxy-ca.key" 2> /dev/null
  openssl req -x509 -new -key "${PKI}/front-proxy-ca.key" -sha256 -days 3650 -subj "/CN=etcd-operator-local-cluster-front-proxy-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "${PKI}/front-proxy-ca.crt"
  rm -f "${PKI}/front-proxy-client.spec"
fi
if [[ ! -s ${PKI}/sa.key ]]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "${PKI}/sa.key" 2> /dev/null
  openssl pkey -in "${PKI}/sa.key" -pubout -out "${PKI}/sa.pub" 2> /dev/null
fi

# cert NAME SUBJECT EKU [SANS]: (re)issues NAME.crt/key when missing or when its spec
# changed; signed by ca.crt, or by $CA.crt when CA is set.
cert() {
  local n=$1 subj=$2 eku=$3 sans=${4:-} spec ca=${CA:-ca}
  spec="${subj}|${eku}|${sans}"
  if [[ -s ${PKI}/${n}.crt && -s ${PKI}/${n}.key && -f ${PKI}/${n}.spec && $(cat "${PKI}/${n}.spec") == "${spec}" ]]; then
    return 0
  fi
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "${PKI}/${n}.key" 2> /dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=${eku}"
    [[ -n ${sans} ]] && echo "subjectAltName=${sans}"
  } > "${PKI}/${n}.ext"
  openssl req -new -key "${PKI}/${n}.key" -subj "${subj}" -out "${PKI}/${n}.csr"
  openssl x509 -req -in "${PKI}/${n}.csr" -CA "${PKI}/${ca}.crt" -CAkey "${PKI}/${ca}.key" -sha256 -days 3650 \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "${PKI}/${n}.ext" -out "${PKI}/${n}.crt" 2> /dev/null
  rm -f "${PKI}/${n}.csr" "${PKI}/${n}.ext"
  echo "${spec}" > "${PKI}/${n}.spec"
}
cert apiserver "/CN=kube-apiserver" serverAuth \
  "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.${LC_CLUSTER_DOMAIN},DNS:localhost,DNS:${LC_NODE_NAME},IP:${LC_API_SERVICE_IP},IP:127.0.0.1,IP:${LC_NODE_IP}"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
cert admin "/O=system:masters/CN=kubernetes-admin" clientAuth
cert kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
cert kube-scheduler "/CN=system:kube-scheduler" clientAuth
cert kube-proxy "/CN=system:kube-proxy" clientAuth
cert kubelet "/O=system:nodes/CN=system:node:${LC_NODE_NAME}" clientAuth
cert kubelet-serving "/CN=${LC_NODE_NAME}" serverAuth "DNS:${LC_NODE_NAME},DNS:localhost,IP:${LC_NODE_IP},IP:127.0.0.1"
cert coredns "/CN=system:coredns" clientAuth
cert provisioner "/CN=system:local-path-provisioner" clientAuth
CA=front-proxy-ca cert front-proxy-client "/CN=front-proxy-client" clientAuth

# write_if_changed FILE: stdin -> FILE, only if different (keeps mtimes and kube-proxy calm).
write_if_changed() {
  local f=$1 tmp
  tmp=$(mktemp "${f}.XXXXXX")
  cat > "${tmp}"
  if [[ -f ${f} ]] && cmp -s "${tmp}" "${f}"; then rm -f "${tmp}"; else mv -f "${tmp}" "${f}"; fi
}
kubeconfig() { # NAME: kubeconfig for the NAME cert, with everything embedded
  chmod 600 "${PKI}/$1.key"
  write_if_changed "${KCFG}/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local-cluster
  cluster:
    server: https://127.0.0.1:${LC_API_PORT}
    certificate-authority-data: $(base64 -w0 < "${PKI}/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 < "${PKI}/$1.crt")
    client-key-data: $(base64 -w0 < "${PKI}/$1.key")
contexts:
- name: local-cluster
  context: {cluster: local-cluster, user: $1}
current-context: local-cluster
EOF
  chmod 600 "${KCFG}/$1.kubeconfig"
}
for n in admin kube-controller-manager kube-scheduler kube-proxy kubelet coredns provisioner; do kubeconfig "${n}"; done

# Data belongs to one CA and one set of ranges: a new CA (fresh clone, regenerated
# certs) or other ranges start with fresh data (etcd holds the Services' ClusterIPs).
CLUSTER_ID=$( { cat "${PKI}/ca.crt"; echo "${LC_POD_CIDR} ${LC_SERVICE_CIDR}"; } | sha256sum | cut -c1-16)
if [[ -d ${LC_DATA} && $(cat "${LC_DATA}/cluster-id" 2>/dev/null) != "${CLUSTER_ID}" ]]; then
  if ((any_ours)); then
    lc_log "the running cluster has other ranges or another CA: tearing it down first"
    "${LC_LIB_DIR}/down.sh"
  fi
  lc_log "cluster data in ${LC_DATA} belongs to another CA or other ranges (or none): starting with fresh cluster data"
  rm -rf "${LC_DATA}/etcd" "${LC_DATA}/kubelet" "${LC_DATA}/local-path" "${LC_DATA}/cni-ipam" "${LC_DATA}/pod-logs"
fi
mkdir -p "${LC_DATA}" "${LC_RUN}"
echo "${CLUSTER_ID}" > "${LC_DATA}/cluster-id"

# --- component configs ---
mkdir -p "${LC_STATE}/cni/net.d"
write_if_changed "${LC_STATE}/cni/net.d/10-local-cluster.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "local-cluster",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "${LC_BRIDGE}",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "${LC_POD_CIDR}", "gateway": "${LC_NODE_IP}" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "${LC_DATA}/cni-ipam"
      }
    }
  ]
}
EOF

write_if_changed "${CFG}/containerd.toml" <<EOF
# containerd of the etcd-operator local cluster: own socket, state and root, so that
# a system containerd is never touched.
version = 2
root = "${LC_DATA}/containerd"
state = "${LC_RUN}/containerd"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "${LC_CONTAINERD_SOCK}"
[ttrpc]
  address = "${LC_CONTAINERD_SOCK}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${LC_DATA}/containerd-opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${LC_SANDBOX_IMAGE}"
  # The VM lacks CAP_SYS_RESOURCE: a negative oom_score_adj would make runc fail.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${LC_RUN}/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${LC_STATE}/cni/net.d"
    max_conf_num = 1
EOF

echo "nameserver ${LC_NODE_IP}" | write_if_changed "${CFG}/resolv.conf"

write_if_changed "${CFG}/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${LC_NODE_IP}
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${PKI}/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: ${PKI}/kubelet-serving.crt
tlsPrivateKeyFile: ${PKI}/kubelet-serving.key
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://${LC_CONTAINERD_SOCK}
clusterDNS: [${LC_DNS_IP}]
clusterDomain: ${LC_CLUSTER_DOMAIN}
resolvConf: ${CFG}/resolv.conf
maxPods: 110
oomScoreAdj: 0
failSwapOn: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
imageMinimumGCAge: 87600h
evictionHard:
  memory.available: 100Mi
  nodefs.available: "1%"
  nodefs.inodesFree: "1%"
  imagefs.available: "1%"
  imagefs.inodesFree: "1%"
podLogsDir: ${LC_DATA}/pod-logs
volumePluginDir: ${LC_DATA}/kubelet-plugins
serializeImagePulls: false
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
nodeStatusUpdateFrequency: 5s
syncFrequency: 10s
fileCheckFrequency: 10s
EOF

write_if_changed "${CFG}/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: ${KCFG}/kube-proxy.kubeconfig
mode: iptables
clusterCIDR: ${LC_POD_CIDR}
hostnameOverride: ${LC_NODE_NAME}
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
oomScoreAdj: 0
# NodePorts only on the node address (our bridge), never on the uplink.
nodePortAddresses: ["${LC_NODE_IP}/32"]
iptables:
  localhostNodePorts: false
  syncPeriod: 30s
  minSyncPeriod: 0s
# Leave the host's conntrack sysctls alone.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF

write_if_changed "${CFG}/Corefile" <<EOF
.:53 {
    bind ${LC_NODE_IP}
    errors
    log . {
        class error
    }
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes ${LC_CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${KCFG}/coredns.kubeconfig local-cluster
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    # Positive answers cached up to 30 s; negative ones (NXDOMAIN/NODATA) never for the
    # cluster domain: a member's name asked before its pod had an address must resolve
    # as soon as the EndpointSlice lists it.
    cache 30 {
        disable denial ${LC_CLUSTER_DOMAIN}
    }
    reload
}
EOF
phase_end

# --- network ---------------------------------------------------------------------------
phase_start "network"
lc_baseline_record
[[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || modprobe br_netfilter 2> /dev/null || true
[[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || lc_die "br_netfilter is not available (no /proc/sys/net/bridge)"
sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1
lc_net_up
phase_end

# --- processes -------------------------------------------------------------------------
# ensure NAME CMD...: starts NAME unless our NAME runs with the same command line and
# config files; restarts it when they changed. CONFIG_FILES (array) is hashed too.
ensure() {
  local name=$1; shift
  local hash stamp
  stamp=${LC_STATE}/pids/${name}.hash
  hash=$( { printf '%s\n' "$@"; cat "${CONFIG_FILES[@]}" 2> /dev/null; } | sha256sum | cut -c1-16)
  if lc_running "${name}"; then
    [[ $(cat "${stamp}" 2> /dev/null) == "${hash}" ]] && return 0
    lc_log "${name}: configuration changed, restarting"
    lc_stop "${name}" 5
  fi
  lc_start "${name}" "$@"
  echo "${hash}" > "${stamp}"
}
assert_running() { # NAME: fails (with the log) if NAME died
  lc_running "$1" || { lc_log "$1 exited:"; tail -n 30 "${LC_STATE}/logs/$1.log" >&2; return 1; }
}

phase_start "containerd"
CONFIG_FILES=("${CFG}/containerd.toml")
mkdir -p "${LC_RUN}/containerd" "${LC_DATA}/containerd"
# Any image pull is sent to a closed port on loopback, so that nothing leaves the machine.
ensure containerd env HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
  http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 no_proxy= \
  "$(command -v containerd)" --config "${CFG}/containerd.toml"
lc_wait 30 "containerd socket" lc_ctr version || { assert_running containerd; false; }
phase_end

# Images are built and imported in the background while the control plane starts.
IMAGES_DIR=${LC_STATE}/images
mkdir -p "${IMAGES_DIR}"
# image TAG FILE ARGS...: builds the image tarball once per input, then imports it.
image() {
  local tag=$1 file=${IMAGES_DIR}/$2; shift 2
  local key
  key=$( { echo "${tag} $*"; sha256sum "${IMGTOOL}"; for a in "$@"; do
    local src=${a%%:*}; [[ -f ${src} ]] && sha256sum "${src}"; done; } | sha256sum | cut -c1-16)
  if [[ ! -f ${file} || $(cat "${file}.key" 2> /dev/null) != "${key}" ]]; then
    "${IMGTOOL}" -t "${tag}" -o "${file}" "$@" > /dev/null
    echo "${key}" > "${file}.key"
  fi
  lc_import_image "${file}" "${tag}"
}
build_images() {
  image "${LC_SANDBOX_IMAGE}" pause.tar -no-base -entrypoint /pause "${PAUSE}:/pause"
  for v in "${ETCD_IMAGE_VERSION}" "${ETCD_VERSION}" "${ETCD35_VERSION}" "${ETCD35_FLOOR_VERSION}"; do
    # etcdutl restores snapshots (spec.bootstrap), as in the upstream images;
    # it is built for the product's version.
    local utl=()
    [[ -x ${LC_BIN}/etcd-${v}/etcdutl ]] && utl=("${LC_BIN}/etcd-${v}/etcdutl:/usr/local/bin/etcdutl")
    image "quay.io/coreos/etcd:${v}" "etcd-${v}.tar" -cmd /usr/local/bin/etcd \
      -mkdir /var/lib/etcd:0700:65532 -mkdir /var/etcd:0700:65532 \
      "${LC_BIN}/etcd-${v}/etcd:/usr/local/bin/etcd" "${LC_BIN}/etcd-${v}/etcdctl:/usr/local/bin/etcdctl" "${utl[@]}"
  done
}
IMAGES_T0=$(lc_now)
{ build_images && lc_elapsed "${IMAGES_T0}" > "${IMAGES_DIR}/.elapsed"; } > "${LC_STATE}/logs/images.log" 2>&1 &
IMAGES_PID=$!

phase_start "etcd+apiserver ready"
CONFIG_FILES=()
mkdir -p "${LC_DATA}/etcd"
ensure etcd "${ETCD_DIR}/etcd" --name local-cluster --data-dir "${LC_DATA}/etcd" \
  --listen-client-urls "http://127.0.0.1:${LC_ETCD_CLIENT_PORT}" \
  --advertise-client-urls "http://127.0.0.1:${LC_ETCD_CLIENT_PORT}" \
  --listen-peer-urls "http://127.0.0.1:${LC_ETCD_PEER_PORT}" \
  --initial-advertise-peer-urls "http://127.0.0.1:${LC_ETCD_PEER_PORT}" \
  --initial-cluster "local-cluster=http://127.0.0.1:${LC_ETCD_PEER_PORT}" \
  --listen-metrics-urls "" --quota-backend-bytes 4294967296 --log-level warn

CONFIG_FILES=("${PKI}/apiserver.crt" "${PKI}/sa.pub" "${PKI}/front-proxy-client.crt")
ensure kube-apiserver "${KUBE_BIN_DIR}/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:${LC_ETCD_CLIENT_PORT}" \
  --secure-port "${LC_API_PORT}" --advertise-address "${LC_NODE_IP}" \
  --client-ca-file "${PKI}/ca.crt" \
  --tls-cert-file "${PKI}/apiserver.crt" --tls-private-key-file "${PKI}/apiserver.key" \
  --kubelet-client-certificate "${PKI}/apiserver-kubelet-client.crt" \
  --kubelet-client-key "${PKI}/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "${PKI}/ca.crt" \
  --kubelet-preferred-address-types InternalIP,Hostname \
  --service-account-issuer "https://kubernetes.default.svc.${LC_CLUSTER_DOMAIN}" \
  --service-account-key-file "${PKI}/sa.pub" --service-account-signing-key-file "${PKI}/sa.key" \
  --service-cluster-ip-range "${LC_SERVICE_CIDR}" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --allow-privileged=true --enable-aggregator-routing=true \
  --requestheader-client-ca-file "${PKI}/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
  --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
  --requestheader-extra-headers-prefix X-Remote-Extra- \
  --proxy-client-cert-file "${PKI}/front-proxy-client.crt" --proxy-client-key-file "${PKI}/front-proxy-client.key" \
  --profiling=false --v=1
lc_wait 90 "kube-apiserver /readyz" api_ready || { assert_running etcd; assert_running kube-apiserver; false; }
phase_end

# --- cluster add-ons: DNS service, RBAC for CoreDNS and the provisioner, StorageClass -----
phase_start "add-ons applied"
kc apply --server-side --force-conflicts --field-manager local-cluster -f - > /dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "local-cluster:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "local-cluster:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "local-cluster:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:coredns"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "local-cluster:local-path-provisioner"}
rules:
- apiGroups: [""]
  resources: [persistentvolumes]
  verbs: [get, list, watch, create, delete, update, patch]
- apiGroups: [""]
  resources: [persistentvolumeclaims]
  verbs: [get, list, watch, update, patch]
- apiGroups: [""]
  resources: [nodes]
  verbs: [get, list, watch]
- apiGroups: [storage.k8s.io]
  resources: [storageclasses]
  verbs: [get, list, watch]
- apiGroups: ["", events.k8s.io]
  resources: [events]
  verbs: [create, patch, update, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "local-cluster:local-path-provisioner"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "local-cluster:local-path-provisioner"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:local-path-provisioner"}]
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  clusterIP: ${LC_DNS_IP}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
# CoreDNS runs as a host process on the node address: a hand-made EndpointSlice.
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-host
  namespace: kube-system
  labels:
    kubernetes.io/service-name: kube-dns
    endpointslice.kubernetes.io/managed-by: local-cluster.etcd-operator.io
addressType: IPv4
endpoints:
- addresses: ["${LC_NODE_IP}"]
  conditions: {ready: true}
  nodeName: ${LC_NODE_NAME}
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: local-cluster.etcd-operator.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
EOF
phase_end

phase_start "other components started"
CONFIG_FILES=("${KCFG}/kube-controller-manager.kubeconfig")
ensure kube-controller-manager "${KUBE_BIN_DIR}/kube-controller-manager" \
  --kubeconfig "${KCFG}/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig "${KCFG}/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig "${KCFG}/kube-controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file "${PKI}/sa.key" --root-ca-file "${PKI}/ca.crt" \
  --cluster-signing-cert-file "${PKI}/ca.crt" --cluster-signing-key-file "${PKI}/ca.key" \
  --service-cluster-ip-range "${LC_SERVICE_CIDR}" --allocate-node-cidrs=false --profiling=false --v=1

CONFIG_FILES=("${KCFG}/kube-scheduler.kubeconfig")
ensure kube-scheduler "${KUBE_BIN_DIR}/kube-scheduler" \
  --kubeconfig "${KCFG}/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig "${KCFG}/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig "${KCFG}/kube-scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false --profiling=false --v=1

CONFIG_FILES=("${CFG}/kubelet.yaml" "${KCFG}/kubelet.kubeconfig")
mkdir -p "${LC_DATA}/kubelet" "${LC_DATA}/pod-logs" "${LC_DATA}/kubelet-plugins"
ensure kubelet "${KUBE_BIN_DIR}/kubelet" --config "${CFG}/kubelet.yaml" \
  --kubeconfig "${KCFG}/kubelet.kubeconfig" --root-dir "${LC_DATA}/kubelet" \
  --hostname-override "${LC_NODE_NAME}" --node-ip "${LC_NODE_IP}" --v=1

# kube-proxy exits on purpose when its config file changes: keep it in a restart loop.
CONFIG_FILES=("${CFG}/kube-proxy.yaml" "${KCFG}/kube-proxy.kubeconfig")
# shellcheck disable=SC2016 # expanded by the inner bash
ensure kube-proxy bash -c 'while :; do "$0" "$@"; echo "kube-proxy exited ($?), restarting in 1s"; sleep 1; done' \
  "${KUBE_BIN_DIR}/kube-proxy" --config "${CFG}/kube-proxy.yaml" --v=1

CONFIG_FILES=("${CFG}/Corefile" "${KCFG}/coredns.kubeconfig")
ensure coredns "${COREDNS}" -conf "${CFG}/Corefile"

CONFIG_FILES=("${KCFG}/provisioner.kubeconfig")
ensure provisioner "${PROVISIONER}" -kubeconfig "${KCFG}/provisioner.kubeconfig" \
  -node "${LC_NODE_NAME}" -base-dir "${LC_DATA}/local-path"
phase_end

# --- wait until usable ------------------------------------------------------------------
phase_start "node Ready"
lc_wait 90 "node ${LC_NODE_NAME} Ready" node_ready || { assert_running kubelet; false; }
phase_end
phase_start "CoreDNS answers via ${LC_DNS_IP}"
"${DNSCHECK}" -server "${LC_DNS_IP}:53" -name "kubernetes.default.svc.${LC_CLUSTER_DOMAIN}" \
  -expect "${LC_API_SERVICE_IP}" -timeout 60s > /dev/null || { assert_running coredns; assert_running kube-proxy; false; }
phase_end
phase_start "default ServiceAccount"
lc_wait 60 "the default ServiceAccount" kc -n default get serviceaccount default
phase_end
wait "${IMAGES_PID}" || { lc_log "image build/import failed:"; tail -n 20 "${LC_STATE}/logs/images.log" >&2; false; }
TIMINGS+=("$(printf '%-28s %6ss' "images (in background)" "$(cat "${IMAGES_DIR}/.elapsed")")")
# Make sure the containment rules are still first after kube-proxy wrote its own,
# then read them back.
lc_ipt_up
lc_net_check
for c in "${LC_COMPONENTS[@]}"; do assert_running "${c}"; done
trap - ERR
echo "${SCRIPTS_HASH}" > "${UP_STAMP}"

lc_log "cluster is up. Timings:"
for t in "${TIMINGS[@]}"; do printf '  %s\n' "${t}" >&2; done
printf '  %-28s %6ss\n' "TOTAL" "$(lc_elapsed "${T0}")" >&2
print_result
