#!/usr/bin/env bash
# Tears down the local cluster and removes exactly what it added: its processes (and
# their containers), the mounts under its directories, its bridge, routes and iptables
# chains, the iptables chains that its kubelet and kube-proxy created, the sysctls they
# changed (restored), and directories that they created outside ours. Needs root. Safe
# to run when nothing is up.
#
# It finds what is ours on the machine itself, not only in this checkout's state dir:
# so it also removes the leftovers of a cluster that another checkout started, or one
# whose processes died and whose _output/ is gone: processes that carry our environment
# marker or run our binaries on our state, network namespaces that hold a veth peer of
# our bridge or an address of our pod range / CNI IPAM, bridges with our alias, routes
# with our protocol number, chains named ETCDOP-LC-* and rules with our comment, mounts
# under /var/lib/etcd-operator-local-cluster and /run/etcd-operator-local-cluster.
#
#   hack/local-cluster/down.sh               (make cluster-down)
#   hack/local-cluster/down.sh --keep-data   keep the cluster's etcd data, kubelet
#                                            directory and volumes for the next up
#
# Kept always: certificates, kubeconfigs and logs ($LC_STATE), the containerd image
# store ($LC_DATA/containerd), the built binaries (the tool cache).
set -uo pipefail

# shellcheck source=hack/local-cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=hack/local-cluster/net.sh
source "${LC_LIB_DIR}/net.sh"

KEEP_DATA=0
for a in "$@"; do
  case ${a} in
    --keep-data) KEEP_DATA=1 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) lc_die "unknown argument ${a}" ;;
  esac
done
lc_require_root
T0=$(lc_now)
B=${LC_BASELINE}

was_up=0
for c in "${LC_COMPONENTS[@]}"; do lc_running "${c}" && was_up=1; done
leftovers=$(lc_leftovers)
if ((was_up == 0)) && [[ ! -f ${B}/complete && -z ${leftovers} && ! -d ${LC_RUN} ]]; then
  lc_log "local cluster is not up: nothing to do"
  exit 0
fi
if ((was_up == 0)) && [[ -n ${leftovers} ]]; then
  lc_log "not started from ${LC_STATE}; removing what of a local cluster is on this machine:"
  while read -r l; do lc_log "  ${l}"; done <<< "${leftovers}"
fi
# sweep [all]: our processes that no pidfile names (another checkout's, or an instance
# whose state is gone); without "all", containerd and its shims stay (step 2 needs them).
sweep() {
  local pids=() pid exe
  for pid in $(lc_find_procs); do
    exe=$(readlink "/proc/${pid}/exe" 2> /dev/null) || continue
    [[ $1 != all && ${exe##*/} == containerd* ]] && continue
    pids+=("${pid}")
  done
  ((${#pids[@]})) || return 0
  lc_log "stopping ${#pids[@]} more processes of a local cluster: $(ps -o comm= -p "${pids[*]// /,}" 2> /dev/null | sort | uniq -c | awk '{printf "%s%s x%s", s, $2, $1; s=", "}')"
  lc_kill_procs "${pids[@]}"
}

STEP_T=$(lc_now) STEP="1. controllers, kubelet"
step() { # prints the time of the previous step when LC_DEBUG=1
  [[ ${LC_DEBUG:-0} == 1 ]] && lc_log "  ${STEP}: $(lc_elapsed "${STEP_T}")s"
  STEP=$1 STEP_T=$(lc_now)
}
# 1. Controllers and API clients first, so that nothing recreates pods meanwhile.
for c in provisioner coredns kube-scheduler kube-controller-manager; do lc_stop "${c}" 10; done
lc_stop kubelet 15
sweep some

step "2. Pods"
# 2. Pods: stop and remove every sandbox through the CRI, so that CNI DEL runs (veth,
#    IPAM) and containerd unmounts the rootfs and shm.
CRICTL=$(lc_tool_path crictl "${CRI_TOOLS_VERSION}")
if [[ -S ${LC_CONTAINERD_SOCK} && -x ${CRICTL} ]] && timeout 5 ctr --address "${LC_CONTAINERD_SOCK}" version > /dev/null 2>&1; then
  cri() { timeout 60 "${CRICTL}" --runtime-endpoint "unix://${LC_CONTAINERD_SOCK}" --timeout 30s "$@"; }
  mapfile -t sandboxes < <(cri pods -q 2> /dev/null)
  ((${#sandboxes[@]})) && { cri stopp "${sandboxes[@]}" > /dev/null 2>&1 || true; }
  cri rmp -f -a > /dev/null 2>&1 || true
  cri rm -f -a > /dev/null 2>&1 || true
fi

step "3. kube-proxy"
# 3. kube-proxy, and its rules.
lc_stop kube-proxy 10
if [[ -x ${LC_BIN}/kube-${KUBE_VERSION}/kube-proxy ]]; then
  "${LC_BIN}/kube-${KUBE_VERSION}/kube-proxy" --cleanup > /dev/null 2>&1 || true
fi

step "4. containerd"
# 4. containerd, then any shim of ours that outlived it (running containers).
lc_stop containerd 15
for pid in $(pgrep -f "containerd-shim.*-address ${LC_CONTAINERD_SOCK}( |$)" || true); do
  kill -KILL -- "-${pid}" 2> /dev/null || kill -KILL "${pid}" 2> /dev/null || true
done
sweep all
# Pods whose sandbox was never removed (containerd gone, or killed): kill what runs in
# their network namespaces, delete their veths and the namespaces.
lc_netns_down

step "5. Control plane"
# 5. Control plane.
lc_stop kube-apiserver 5
lc_stop etcd 15
sweep all

step "6. Mounts"
# 6. Mounts left under our directories (deepest first).
for _ in 1 2 3; do
  mapfile -t mnts < <(awk -v a="${LC_DATA}/" -v b="${LC_RUN}/" -v c="${LC_STATE}/" \
    'index($2, a) == 1 || index($2, b) == 1 || index($2, c) == 1 {print $2}' /proc/self/mounts | sort -r)
  ((${#mnts[@]})) || break
  for m in "${mnts[@]}"; do umount "${m}" 2> /dev/null || umount -l "${m}" 2> /dev/null || true; done
done

step "7. Network"
# 7. Network: our rules, the chains our kubelet and kube-proxy created, routes, bridge.
lc_ipt_down
remove_new_chains() { # CMD BASELINE_FILE
  local cmd=$1 base=$2 t ch
  for t in filter nat mangle raw; do
    mapfile -t new < <(${cmd} -w -t "${t}" -S 2> /dev/null | awk '$1=="-N" && $2 ~ /^KUBE-/ {print $2}' |
      while read -r ch; do grep -qx "${t} ${ch}" "${base}" 2> /dev/null || echo "${ch}"; done)
    ((${#new[@]})) || continue
    # Rules in other chains that jump to a new chain.
    for ch in "${new[@]}"; do
      ${cmd} -w -t "${t}" -S 2> /dev/null | grep -E -- "-j ${ch}( |$)" | sed 's/^-A /-D /' |
        while read -r rule; do eval "${cmd} -w -t ${t} ${rule}" 2> /dev/null || true; done
    done
    for ch in "${new[@]}"; do ${cmd} -w -t "${t}" -F "${ch}" 2> /dev/null || true; done
    for ch in "${new[@]}"; do ${cmd} -w -t "${t}" -X "${ch}" 2> /dev/null || true; done
  done
}
if [[ -f ${B}/complete ]]; then
  remove_new_chains iptables "${B}/ipt4-chains"
  remove_new_chains ip6tables "${B}/ipt6-chains"
elif pgrep -x kubelet > /dev/null || pgrep -x kube-proxy > /dev/null; then
  lc_log "note: no baseline (${B}) and another kubelet or kube-proxy runs here: KUBE-* chains left alone"
else
  # No record of the chains that existed before up.sh, and no other kubelet or
  # kube-proxy on the machine: every KUBE-* chain is a leftover of ours.
  remove_new_chains iptables /dev/null
  remove_new_chains ip6tables /dev/null
fi
lc_routes_down
lc_netns_down
lc_bridges_down
# nftables tables that iptables-nft created for our rules and that are empty again.
if command -v nft > /dev/null; then
  while read -r _ fam tbl; do
    [[ -z ${tbl} ]] && continue
    if [[ -f ${B}/complete ]]; then
      grep -qx "table ${fam} ${tbl}" "${B}/nft-tables" 2> /dev/null && continue
    else # without a baseline: only iptables-nft's own tables, when empty
      [[ ${fam} =~ ^ip6?$ && ${tbl} =~ ^(filter|mangle|nat|raw)$ ]] || continue
    fi
    if ! nft list table "${fam}" "${tbl}" 2> /dev/null | grep -qE '^\s+(counter|meta|ip |iifname|oifname|jump|drop|accept|ct |mark|return|reject)'; then
      nft delete table "${fam}" "${tbl}" 2> /dev/null || true
    fi
  done < <(nft list tables 2> /dev/null)
fi

step "8. Sysctls"
# 8. Sysctls back to what they were before up.sh.
if [[ -f ${B}/sysctl ]]; then
  while IFS='=' read -r k v; do
    [[ -e /proc/sys/${k//.//} ]] || continue
    [[ $(cat "/proc/sys/${k//.//}") == "${v}" ]] || echo "${v}" > "/proc/sys/${k//.//}" 2> /dev/null || true
  done < "${B}/sysctl"
fi

step "9. cgroups"
# 9. cgroups the kubelet created.
while read -r d; do
  grep -qx "${d}" "${B}/kubepods-cgroups" 2> /dev/null && continue
  [[ ! -f ${B}/complete ]] && pgrep -x kubelet > /dev/null && continue
  find "${d}" -depth -type d -exec rmdir {} \; 2> /dev/null || true
done < <(find /sys/fs/cgroup -maxdepth 2 -name kubepods -type d 2> /dev/null)

step "10. Files"
# 10. Files and directories.
rm -rf "${LC_RUN}" "${LC_STATE}/cni"
rm -f "${LC_STATE}"/pids/*.pid "${LC_STATE}"/pids/*.hash
if ((KEEP_DATA == 0)); then
  rm -rf "${LC_DATA}/etcd" "${LC_DATA}/kubelet" "${LC_DATA}/local-path" "${LC_DATA}/cni-ipam" \
    "${LC_DATA}/pod-logs" "${LC_DATA}/kubelet-plugins"
fi
# containerd's CNI result cache of our sandboxes (network "local-cluster", and the
# loopback results of the same sandboxes).
for f in /var/lib/cni/results/local-cluster-*; do
  [[ -f ${f} ]] || continue
  id=${f#/var/lib/cni/results/local-cluster-}; id=${id%-*}
  rm -f "${f}" "/var/lib/cni/results/cni-loopback-${id}-lo"
done
if [[ -f ${B}/missing-paths ]]; then
  while read -r p; do
    [[ -e ${p} ]] || continue
    # Sockets are runtime leftovers (the kubelet always creates
    # /var/lib/kubelet/device-plugins/kubelet.sock, whatever its --root-dir).
    find "${p}" -type s -delete 2> /dev/null || true
    if [[ ${p} == /var/log/containers ]]; then
      find "${p}" -maxdepth 1 -type l -lname "${LC_DATA}/*" -delete 2> /dev/null || true
    fi
    # /run/netns: ip netns and containerd bind-mount it onto itself.
    if [[ -d ${p} ]] && mountpoint -q "${p}" && [[ -z $(ls -A "${p}") ]]; then umount "${p}" 2> /dev/null || true; fi
    find "${p}" -depth -type d -empty -delete 2> /dev/null || true
    [[ -e ${p} ]] && lc_log "note: ${p} did not exist before up.sh and is not empty; left in place"
  done < "${B}/missing-paths"
fi
rm -rf "${B}"
step "done"

left=$(lc_leftovers)
if [[ -n ${left} ]]; then
  lc_log "WARNING: still on the machine after down.sh:"
  while read -r l; do lc_log "  ${l}"; done <<< "${left}"
fi

lc_log "local cluster is down ($(lc_elapsed "${T0}")s)"
