#!/usr/bin/env bash
# Reads the local cluster's containment rules and routes back (never by sending
# traffic): our bridge and its address, the FORWARD drops from our bridge to any other
# interface (filter and mangle, IPv4 and IPv6) as the first rule, the drop of Service
# connections DNATed off the pod range, the blackhole routes of both ranges, no
# masquerade or SNAT of the pod range, no DNS forward. up.sh runs the same check last.
# -v also prints the rules and routes it read. Exit 1 if anything is missing.
#
#   hack/local-cluster/check-containment.sh [-v]
set -euo pipefail
# shellcheck source=hack/local-cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=hack/local-cluster/net.sh
source "${LC_LIB_DIR}/net.sh"
lc_require_root
if [[ ${1:-} == -v ]]; then
  for t in filter mangle; do
    echo "# iptables -t ${t}"; iptables -w -t "${t}" -S | grep -E -- "${LC_CHAIN_PREFIX}|^-A FORWARD" | head -5
    echo "# ip6tables -t ${t}"; ip6tables -w -t "${t}" -S | grep -E -- "${LC_CHAIN_PREFIX}|^-A FORWARD" | head -5
  done
  echo "# ip route show proto ${LC_ROUTE_PROTO}"; ip -4 route show proto "${LC_ROUTE_PROTO}"
fi
lc_net_check
