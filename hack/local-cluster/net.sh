# shellcheck shell=bash disable=SC2034
# Network setup and teardown of the local cluster (sourced by up.sh and down.sh after
# lib.sh). Containment rule: nothing from the cluster may be routed off this machine.
#
#   R1  mangle FORWARD  -i cni0 ! -o cni0 -j DROP   (before kube-proxy's filter rules)
#   R2  filter FORWARD  -i cni0 ! -o cni0 -j DROP   (second layer, first in FORWARD)
#   R3  mangle POSTROUTING: a connection to a service IP that was DNATed to an address
#       outside the pod range (which holds the node address too) is dropped, so that
#       even the host cannot reach an off-machine endpoint through a Service.
#   R4  ip6tables mangle/filter FORWARD -i cni0 ! -o cni0 -j DROP
#   routes: the service range goes onto cni0 (host processes can reach ClusterIPs, an
#       unused one dies on the bridge), and blackhole routes for the service and pod
#       ranges (metric LC_BLACKHOLE_METRIC) take over if cni0 disappears, so an
#       unmatched address never follows the default route.
# The bridge CNI config has ipMasq false: there is no masquerade toward the uplink.

lc_ipt_rules() { # prints "cmd table chain rule..." lines, one per rule we own
  local c="-m comment --comment ${LC_COMMENT}"
  cat <<EOF
iptables mangle FORWARD -i ${LC_BRIDGE} ! -o ${LC_BRIDGE} ${c} -j DROP
iptables filter FORWARD -i ${LC_BRIDGE} ! -o ${LC_BRIDGE} ${c} -j DROP
iptables mangle POSTROUTING -m conntrack --ctstate DNAT --ctorigdst ${LC_SERVICE_CIDR} ! --ctreplsrc ${LC_POD_CIDR} ${c} -j DROP
ip6tables mangle FORWARD -i ${LC_BRIDGE} ! -o ${LC_BRIDGE} ${c} -j DROP
ip6tables filter FORWARD -i ${LC_BRIDGE} ! -o ${LC_BRIDGE} ${c} -j DROP
EOF
}

# Insert each rule at position 1 unless it is there already (-C).
lc_ipt_up() {
  local cmd table chain rule
  while read -r cmd table chain rule; do
    # shellcheck disable=SC2086
    if ! ${cmd} -w -t "${table}" -C "${chain}" ${rule} 2>/dev/null; then
      ${cmd} -w -t "${table}" -I "${chain}" 1 ${rule}
    fi
  done < <(lc_ipt_rules)
  # R2 must stay ahead of kube-proxy's KUBE-FORWARD accept rules.
  local first
  first=$(iptables -w -t filter -S FORWARD 2>/dev/null | sed -n 2p)
  if [[ ${first} != *"${LC_COMMENT}"* ]]; then
    # shellcheck disable=SC2046
    iptables -w -t filter -D FORWARD $(lc_ipt_rules | awk '$1=="iptables" && $2=="filter" {$1=$2=$3=""; print}') 2>/dev/null || true
    # shellcheck disable=SC2046
    iptables -w -t filter -I FORWARD 1 $(lc_ipt_rules | awk '$1=="iptables" && $2=="filter" {$1=$2=$3=""; print}')
  fi
}

lc_ipt_down() {
  local cmd table chain rule
  while read -r cmd table chain rule; do
    # shellcheck disable=SC2086
    while ${cmd} -w -t "${table}" -D "${chain}" ${rule} 2>/dev/null; do :; done
  done < <(lc_ipt_rules)
}

lc_routes() { # "ip route" arguments of the routes we own
  cat <<EOF
${LC_SERVICE_CIDR} dev ${LC_BRIDGE} proto static scope link src ${LC_NODE_IP}
blackhole ${LC_SERVICE_CIDR} proto static metric ${LC_BLACKHOLE_METRIC}
blackhole ${LC_POD_CIDR} proto static metric ${LC_BLACKHOLE_METRIC}
EOF
}

lc_bridge_up() {
  if ! ip link show "${LC_BRIDGE}" > /dev/null 2>&1; then
    ip link add "${LC_BRIDGE}" type bridge
  fi
  if ! ip -4 -o addr show dev "${LC_BRIDGE}" | grep -qw "${LC_NODE_IP}/${LC_POD_CIDR#*/}"; then
    ip addr add "${LC_NODE_IP}/${LC_POD_CIDR#*/}" dev "${LC_BRIDGE}"
  fi
  ip link set "${LC_BRIDGE}" up
}

lc_net_up() {
  lc_bridge_up
  local r
  while read -r r; do
    # shellcheck disable=SC2086
    ip route replace ${r}
  done < <(lc_routes)
  lc_ipt_up
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

lc_baseline_record() {
  local b=${LC_STATE}/baseline s p
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
