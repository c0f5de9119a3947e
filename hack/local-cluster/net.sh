# shellcheck shell=bash disable=SC2034
# Network setup and teardown of the local cluster (sourced by up.sh and down.sh after
# lib.sh). Containment rule: nothing from the cluster may be routed off this machine.
# BR is $LC_BRIDGE (etcdop0), POD/SVC are $LC_POD_CIDR/$LC_SERVICE_CIDR.
#
#   R1  mangle FORWARD (first rule) -> ETCDOP-LC-FORWARD: -i BR ! -o BR -j DROP
#       (before kube-proxy's filter rules)
#   R2  filter FORWARD (first rule) -> ETCDOP-LC-FORWARD: -i BR ! -o BR -j DROP
#   R3  mangle POSTROUTING -> ETCDOP-LC-POSTROUTING: a connection to a service IP that
#       was DNATed to an address outside POD (which holds the node address too) is
#       dropped, so that even the host cannot reach an off-machine endpoint through a
#       Service.
#   R4  ip6tables mangle/filter FORWARD -> ETCDOP-LC-FORWARD: -i BR ! -o BR -j DROP
#   routes (proto LC_ROUTE_PROTO): SVC onto BR (host processes can reach ClusterIPs, an
#       unused one dies on the bridge), and blackhole routes for SVC and POD (metric
#       LC_BLACKHOLE_METRIC) that take over if BR disappears, so an unmatched address
#       never follows the default route.
# The bridge CNI config has ipMasq false: there is no masquerade toward the uplink.
# lc_net_check reads all of that back (up.sh runs it last; check-containment.sh too).
#
# What is ours is marked on the machine itself, so that down.sh (or up.sh meeting the
# leftovers of a dead cluster) finds it without our state dir: chains named
# ${LC_CHAIN_PREFIX}*, jumps and rules with the comment ${LC_COMMENT}, routes with
# protocol ${LC_ROUTE_PROTO}, the bridge's alias ${LC_COMMENT}.

LC_IPT_CHAINS=( # "cmd table chain parent"
  "iptables filter ${LC_CHAIN_PREFIX}FORWARD FORWARD"
  "iptables mangle ${LC_CHAIN_PREFIX}FORWARD FORWARD"
  "iptables mangle ${LC_CHAIN_PREFIX}POSTROUTING POSTROUTING"
  "ip6tables filter ${LC_CHAIN_PREFIX}FORWARD FORWARD"
  "ip6tables mangle ${LC_CHAIN_PREFIX}FORWARD FORWARD"
)

lc_ipt_chain_rule() { # CMD TABLE CHAIN: the rule of our chain
  local c="-m comment --comment ${LC_COMMENT}"
  case $3 in
    *POSTROUTING) echo "-m conntrack --ctstate DNAT --ctorigdst ${LC_SERVICE_CIDR} ! --ctreplsrc ${LC_POD_CIDR} ${c} -j DROP" ;;
    *) echo "-i ${LC_BRIDGE} ! -o ${LC_BRIDGE} ${c} -j DROP" ;;
  esac
}

# Creates our chains (content replaced every time: a changed bridge name or range
# takes effect) and keeps the jump to each one the first rule of its parent chain.
lc_ipt_up() {
  local cmd table chain parent rule jump first
  for e in "${LC_IPT_CHAINS[@]}"; do
    read -r cmd table chain parent <<< "${e}"
    rule=$(lc_ipt_chain_rule "${cmd}" "${table}" "${chain}")
    ${cmd} -w -t "${table}" -N "${chain}" 2> /dev/null || true
    # shellcheck disable=SC2086
    if [[ $(${cmd} -w -t "${table}" -S "${chain}" | sed 1d) != "-A ${chain} ${rule}" ]]; then
      ${cmd} -w -t "${table}" -F "${chain}"
      ${cmd} -w -t "${table}" -A "${chain}" ${rule}
    fi
    jump="-m comment --comment ${LC_COMMENT} -j ${chain}"
    first=$(${cmd} -w -t "${table}" -S "${parent}" | sed -n 2p)
    if [[ ${first} != "-A ${parent} ${jump}" ]]; then
      # shellcheck disable=SC2086
      while ${cmd} -w -t "${table}" -D "${parent}" ${jump} 2> /dev/null; do :; done
      # shellcheck disable=SC2086
      ${cmd} -w -t "${table}" -I "${parent}" 1 ${jump}
    fi
  done
}

# Removes every rule with our comment from every chain (also those of earlier versions,
# which put them straight into FORWARD/POSTROUTING), then our chains.
lc_ipt_down() {
  local cmd table rule ch
  for cmd in iptables ip6tables; do
    command -v "${cmd}" > /dev/null || continue
    for table in filter mangle nat raw; do
      ${cmd} -w -t "${table}" -S 2> /dev/null | grep -F -- "--comment ${LC_COMMENT}" | grep '^-A ' |
        sed 's/^-A /-D /' | while read -r rule; do eval "${cmd} -w -t ${table} ${rule}" 2> /dev/null || true; done || true
      for ch in $(${cmd} -w -t "${table}" -S 2> /dev/null | awk -v p="${LC_CHAIN_PREFIX}" '$1=="-N" && index($2, p)==1 {print $2}'); do
        ${cmd} -w -t "${table}" -S 2> /dev/null | grep -E -- "-j ${ch}( |$)" | sed 's/^-A /-D /' |
          while read -r rule; do eval "${cmd} -w -t ${table} ${rule}" 2> /dev/null || true; done || true
        ${cmd} -w -t "${table}" -F "${ch}" 2> /dev/null || true
        ${cmd} -w -t "${table}" -X "${ch}" 2> /dev/null || true
      done
    done
  done
}

lc_routes() { # "ip route" arguments of the routes we own
  cat <<EOF
${LC_SERVICE_CIDR} dev ${LC_BRIDGE} proto ${LC_ROUTE_PROTO} scope link src ${LC_NODE_IP}
blackhole ${LC_SERVICE_CIDR} proto ${LC_ROUTE_PROTO} metric ${LC_BLACKHOLE_METRIC}
blackhole ${LC_POD_CIDR} proto ${LC_ROUTE_PROTO} metric ${LC_BLACKHOLE_METRIC}
EOF
}

# lc_our_routes: our routes as they are on the machine (any range, any bridge), and the
# blackhole routes of earlier versions (proto static, metric LC_BLACKHOLE_METRIC).
lc_our_routes() {
  ip -4 route show table main proto "${LC_ROUTE_PROTO}" 2> /dev/null
  ip -4 route show table main type blackhole 2> /dev/null | grep -E " metric ${LC_BLACKHOLE_METRIC}( |$)" | grep -v " proto ${LC_ROUTE_PROTO} " || true
}
lc_route_key() { # ROUTE: "blackhole DST" or "DST dev DEV"
  local w
  read -ra w <<< "$1"
  if [[ ${w[0]} == blackhole ]]; then echo "blackhole ${w[1]}"; else echo "${w[0]} ${w[1]} ${w[2]}"; fi
}

lc_routes_down() {
  local r
  lc_our_routes | sort -u | while read -r r; do
    # shellcheck disable=SC2086
    ip route del ${r} 2> /dev/null || true
  done || true
}

# lc_our_bridges: names of the bridges that carry our alias.
lc_our_bridges() {
  ip -o link show type bridge 2> /dev/null | awk -v a="alias ${LC_COMMENT}" 'index($0, a) { n=$2; sub(/:$/, "", n); sub(/@.*/, "", n); print n }'
}
lc_bridge_is_ours() { lc_our_bridges | grep -qxF "$1"; }

lc_bridge_up() {
  if ! ip link show "${LC_BRIDGE}" > /dev/null 2>&1; then
    ip link add "${LC_BRIDGE}" type bridge
    ip link set "${LC_BRIDGE}" alias "${LC_COMMENT}"
  fi
  lc_bridge_is_ours "${LC_BRIDGE}" || lc_die "${LC_BRIDGE} exists and is not ours (no alias ${LC_COMMENT}); choose another LC_BRIDGE"
  local a
  for a in $(ip -4 -o addr show dev "${LC_BRIDGE}" | awk '{print $4}'); do
    [[ ${a} == "${LC_NODE_IP}/${LC_POD_CIDR#*/}" ]] || ip addr del "${a}" dev "${LC_BRIDGE}"
  done
  if ! ip -4 -o addr show dev "${LC_BRIDGE}" | grep -qw "${LC_NODE_IP}/${LC_POD_CIDR#*/}"; then
    ip addr add "${LC_NODE_IP}/${LC_POD_CIDR#*/}" dev "${LC_BRIDGE}"
  fi
  ip link set "${LC_BRIDGE}" up
}

lc_net_up() {
  lc_bridge_up
  local r key
  # Ours for another range or bridge (LC_* changed): gone first.
  lc_our_routes | while read -r r; do
    key=$(lc_route_key "${r}")
    lc_routes | while read -r d; do lc_route_key "${d}"; done | grep -qxF "${key}" && continue
    # shellcheck disable=SC2086
    ip route del ${r} 2> /dev/null || true
  done || true
  while read -r r; do
    # shellcheck disable=SC2086
    ip route replace ${r}
  done < <(lc_routes)
  lc_ipt_up
}

# lc_range_conflicts CIDR: prints the addresses and routes of this machine that overlap
# CIDR and are not ours (our bridge's, our routes).
lc_range_conflicts() {
  local cidr=$1 line dev a dst
  ip -4 -o addr show 2> /dev/null | while read -r _ dev _ a _; do
    lc_bridge_is_ours "${dev}" && continue
    lc_cidr_overlap "${cidr}" "$(lc_cidr_net "${a}")" && echo "address ${a} on ${dev}"
  done || true
  ip -4 route show table all 2> /dev/null | while read -r line; do
    [[ ${line} == *" proto ${LC_ROUTE_PROTO} "* || ${line} == *" proto ${LC_ROUTE_PROTO}" ]] && continue
    dev=$(awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i+1)}' <<< "${line}")
    [[ -n ${dev} ]] && lc_bridge_is_ours "${dev}" && continue
    read -r dst _ <<< "${line}"
    case ${dst} in local | broadcast | blackhole | unreachable | prohibit | throw | anycast | multicast | unicast | nat) read -r _ dst _ <<< "${line}" ;; esac
    [[ ${dst} == default ]] && continue
    lc_cidr_valid "$(lc_cidr_net "${dst}")" 2> /dev/null || continue
    lc_cidr_overlap "${cidr}" "${dst}" && echo "route ${line}"
  done || true
}
# lc_cidr_net A.B.C.D[/N]: the network of an address with its prefix.
lc_cidr_net() {
  local n=32
  [[ $1 == */* ]] && n=${1#*/}
  echo "$(lc_int2ip "$(lc_cidr_first "${1%/*}/${n}")")/${n}"
}

# --- pod network namespaces ---------------------------------------------------------------
# lc_ipam_ips: addresses that our CNI IPAM (host-local, under LC_DATA) has handed out.
lc_ipam_ips() {
  find "${LC_DATA}/cni-ipam" -mindepth 2 -maxdepth 2 -type f 2> /dev/null | awk -F/ '$NF ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ {print $NF}' || true
}

# lc_our_netns: the network namespaces of our pods: cni-* namespaces that hold the peer
# of a veth attached to one of our bridges, or an address in our pod range, in one of
# our bridges' subnets, or handed out by our IPAM.
lc_our_netns() {
  local br ids=" " nets=("${LC_POD_CIDR}") ips ns id a
  for br in $(lc_our_bridges); do
    ids+="$(ip -d -o link show master "${br}" 2> /dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "link-netnsid") printf "%s ", $(i+1)}')"
    for a in $(ip -4 -o addr show dev "${br}" 2> /dev/null | awk '{print $4}'); do nets+=("$(lc_cidr_net "${a}")"); done
  done
  ips=" $(lc_ipam_ips | tr '\n' ' ') "
  ip netns list 2> /dev/null | while read -r ns _ id; do
    [[ ${ns} == cni-* ]] || continue
    id=${id%)}
    if [[ -n ${id} && ${ids} == *" ${id} "* ]]; then echo "${ns}"; continue; fi
    for a in $(ip -n "${ns}" -4 -o addr show 2> /dev/null | awk '$2 != "lo" {print $4}'); do
      a=${a%/*}
      [[ ${ips} == *" ${a} "* ]] && { echo "${ns}"; continue 2; }
      for n in "${nets[@]}"; do lc_cidr_overlap "${n}" "${a}" && { echo "${ns}"; continue 3; }; done
    done
  done || true
}

# lc_netns_down: kills what still runs in our pods' namespaces, deletes their veths and
# the namespaces, then the veths left on our bridges.
lc_netns_down() {
  local ns pids l br
  for ns in $(lc_our_netns); do
    mapfile -t pids < <(ip netns pids "${ns}" 2> /dev/null)
    ((${#pids[@]})) && lc_kill_procs "${pids[@]}"
    for l in $(ip -n "${ns}" -o link show type veth 2> /dev/null | awk '{n=$2; sub(/:$/, "", n); sub(/@.*/, "", n); print n}'); do
      ip -n "${ns}" link delete "${l}" 2> /dev/null || true
    done
    ip netns delete "${ns}" 2> /dev/null || true
  done
  for br in $(lc_our_bridges); do
    for l in $(ip -o link show master "${br}" 2> /dev/null | awk '{n=$2; sub(/:$/, "", n); sub(/@.*/, "", n); print n}'); do
      ip link delete "${l}" 2> /dev/null || true
    done
  done
}

lc_bridges_down() {
  local br
  for br in $(lc_our_bridges); do ip link delete "${br}" 2> /dev/null || true; done
}

# lc_leftovers: prints what of ours is on the machine (empty: nothing).
lc_leftovers() {
  local p
  p=$(lc_find_procs | tr '\n' ' ')
  [[ -n ${p} ]] && echo "processes: ${p}"
  p=$(lc_our_netns | tr '\n' ' ')
  [[ -n ${p} ]] && echo "network namespaces: ${p}"
  p=$(lc_our_bridges | tr '\n' ' ')
  [[ -n ${p} ]] && echo "bridges: ${p}"
  p=$(lc_our_routes | tr '\n' ';')
  [[ -n ${p} ]] && echo "routes: ${p}"
  local cmd t
  for cmd in iptables ip6tables; do
    command -v "${cmd}" > /dev/null || continue
    for t in filter mangle nat raw; do
      p=$(${cmd} -w -t "${t}" -S 2> /dev/null | grep -cE -- "--comment ${LC_COMMENT}|^-N ${LC_CHAIN_PREFIX}" || true)
      ((p > 0)) && echo "${cmd} ${t}: ${p} rules/chains"
    done
  done
  p=$(awk -v a="${LC_DATA}/" -v b="${LC_RUN}/" 'index($2, a) == 1 || index($2, b) == 1 {print $2}' /proc/self/mounts | wc -l)
  ((p > 0)) && echo "mounts under ${LC_DATA} or ${LC_RUN}: ${p}"
  return 0
}

# lc_net_check: reads the containment rules and routes back; prints what is wrong and
# fails, or prints one line.
lc_net_check() {
  local bad=() e cmd table chain parent rule first
  lc_bridge_is_ours "${LC_BRIDGE}" || bad+=("bridge ${LC_BRIDGE} missing or without our alias")
  ip -4 -o addr show dev "${LC_BRIDGE}" 2> /dev/null | grep -qw "${LC_NODE_IP}/${LC_POD_CIDR#*/}" || bad+=("${LC_BRIDGE} lacks ${LC_NODE_IP}/${LC_POD_CIDR#*/}")
  for e in "${LC_IPT_CHAINS[@]}"; do
    read -r cmd table chain parent <<< "${e}"
    rule=$(lc_ipt_chain_rule "${cmd}" "${table}" "${chain}")
    [[ $(${cmd} -w -t "${table}" -S "${chain}" 2> /dev/null | sed 1d) == "-A ${chain} ${rule}" ]] || bad+=("${cmd} -t ${table} ${chain} is not exactly: ${rule}")
    first=$(${cmd} -w -t "${table}" -S "${parent}" 2> /dev/null | sed -n 2p)
    if [[ ${parent} == FORWARD ]]; then
      [[ ${first} == "-A ${parent} -m comment --comment ${LC_COMMENT} -j ${chain}" ]] || bad+=("${cmd} -t ${table} ${parent}: first rule is not the jump to ${chain} (${first})")
    else
      ${cmd} -w -t "${table}" -S "${parent}" 2> /dev/null | grep -qxF -- "-A ${parent} -m comment --comment ${LC_COMMENT} -j ${chain}" || bad+=("${cmd} -t ${table} ${parent}: no jump to ${chain}")
    fi
  done
  # No masquerade or SNAT of the pod range (a bridge plugin with ipMasq would add it).
  if iptables -w -t nat -S 2> /dev/null | grep -E -- "-s ${LC_POD_CIDR//./\\.}" | grep -qE -- "-j (MASQUERADE|SNAT)"; then
    bad+=("iptables -t nat masquerades or SNATs ${LC_POD_CIDR}")
  fi
  local conf=${LC_STATE}/cni/net.d/10-local-cluster.conflist
  [[ -f ${conf} ]] && ! grep -q '"ipMasq": false' "${conf}" && bad+=("${conf}: ipMasq is not false")
  [[ -f ${LC_STATE}/config/Corefile ]] && grep -qE '^\s*forward\b' "${LC_STATE}/config/Corefile" && bad+=("the Corefile has a forward")
  local r have
  have=$(ip -4 route show table main proto "${LC_ROUTE_PROTO}" 2> /dev/null | while read -r r; do lc_route_key "${r}"; done || true)
  while read -r r; do
    grep -qxF "$(lc_route_key "${r}")" <<< "${have}" || bad+=("missing route: ${r}")
  done < <(lc_routes)
  if ((${#bad[@]})); then
    for e in "${bad[@]}"; do lc_log "containment check: ${e}"; done
    return 1
  fi
  lc_log "containment check OK: ${LC_BRIDGE} ${LC_NODE_IP}/${LC_POD_CIDR#*/}, FORWARD drops ${LC_BRIDGE} -> elsewhere (filter+mangle, v4+v6), DNAT off ${LC_POD_CIDR} dropped, blackholes for ${LC_POD_CIDR} and ${LC_SERVICE_CIDR}, no masquerade, no DNS forward"
}

# Sysctls that up.sh, the bridge plugin, the kubelet or kube-proxy may change; up.sh
# records their values before the first start and down.sh puts them back.
LC_SYSCTLS=(
  net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  net.ipv4.conf.all.route_localnet
  vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait
)
# Paths outside our own directories that containerd, the kubelet or CNI create if
# missing. down.sh removes the empty directories left of the ones that did not exist.
LC_FOREIGN_PATHS=(
  /run/containerd /run/netns /var/run/netns /var/lib/cni /var/log/containers /var/log/pods
  /opt/containerd /usr/libexec/kubernetes /var/lib/kubelet /etc/kubernetes /run/runc /etc/cni /opt/cni
)

# The baseline is kept with the machine's data (not in the checkout's state dir), so that
# a down.sh of any checkout finds it.
LC_BASELINE=${LC_DATA}/baseline
lc_baseline_record() {
  local b=${LC_BASELINE} s p
  [[ -f ${b}/complete ]] && return 0
  rm -rf "${b}"; mkdir -p "${b}"
  for s in "${LC_SYSCTLS[@]}"; do
    [[ -e /proc/sys/${s//.//} ]] && echo "${s}=$(cat "/proc/sys/${s//.//}")"
  done > "${b}/sysctl"
  for p in "${LC_FOREIGN_PATHS[@]}"; do
    [[ -e ${p} || -L ${p} ]] || echo "${p}"
  done > "${b}/missing-paths"
  for t in filter nat mangle raw; do
    iptables -w -t "${t}" -S 2>/dev/null | awk '$1=="-N" {print "'"${t}"' " $2}'
  done > "${b}/ipt4-chains"
  for t in filter nat mangle raw; do
    ip6tables -w -t "${t}" -S 2>/dev/null | awk '$1=="-N" {print "'"${t}"' " $2}'
  done > "${b}/ipt6-chains"
  if command -v nft > /dev/null; then nft list tables 2>/dev/null > "${b}/nft-tables" || true; fi
  find /sys/fs/cgroup -maxdepth 2 -name kubepods -type d 2>/dev/null > "${b}/kubepods-cgroups" || true
  touch "${b}/complete"
}
