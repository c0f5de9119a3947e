#!/usr/bin/env bash
# make demo: bring up the local cluster, build and deploy the operator from
# config/default, create the 3-member sample and show it Running, with
# etcd's own view of its members.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${repo}"
start=$(date +%s)
step() { echo; echo "== $* (+$(($(date +%s) - start))s)"; }

hack/deploy-local.sh
eval "$(hack/local-cluster/env.sh)"

step "create the 3-member EtcdCluster (config/samples/etcd_v1alpha1_etcdcluster_3.yaml)"
"${KUBECTL}" apply -n default -f config/samples/etcd_v1alpha1_etcdcluster_3.yaml
applied=$(date +%s)
"${KUBECTL}" wait -n default etcdcluster/etcd-3 --for=jsonpath='{.status.phase}'=Running --timeout=300s
echo "Running $(($(date +%s) - applied))s after apply"

step "kubectl get etcdcluster"
"${KUBECTL}" get etcdcluster -n default -o wide
step "etcdctl endpoint status --cluster, run inside the cluster"
# --cluster dials every member at the client URL it advertises (its DNS name under
# the headless Service). Those names resolve once the pod has an address (the
# Service publishes not-ready addresses, and CoreDNS caches no negative answers for
# the cluster domain); the demo still waits for what it reads rather than assume it.
# The members serve TLS and want a client certificate: etcdctl uses the member's
# own (its server certificate also carries clientAuth), as an administrator with
# exec rights would; applications mount the etcd-3-client-tls Secret instead.
tls=(--cacert /etc/etcd/tls/server/ca.crt --cert /etc/etcd/tls/server/tls.crt --key /etc/etcd/tls/server/tls.key)
status() { "${KUBECTL}" exec -n default etcd-3-0 -c etcd -- /usr/local/bin/etcdctl --endpoints https://localhost:2379 "${tls[@]}" endpoint status --cluster -w table; }
t=$(date +%s)
until out=$(status 2>&1) && [[ $(grep -c 'https://' <<< "${out}") -eq 3 ]]; do
  if (($(date +%s) - t >= 120)); then
    echo "etcdctl endpoint status --cluster did not succeed for 3 members in 120s:" >&2
    echo "${out}" >&2
    exit 1
  fi
  sleep 1
done
echo "${out}"
echo "(3 members answered $(($(date +%s) - t))s after the first try)"
step "a client without a certificate is refused"
if "${KUBECTL}" exec -n default etcd-3-0 -c etcd -- /usr/local/bin/etcdctl --endpoints https://localhost:2379 \
  --cacert /etc/etcd/tls/server/ca.crt --command-timeout=3s endpoint status > /dev/null 2>&1; then
  echo "etcd answered a client without a certificate" >&2
  exit 1
fi
echo "refused, as it should be"
echo
echo "done in $(($(date +%s) - start))s. Use the cluster: eval \"\$(hack/local-cluster/env.sh)\"; \$KUBECTL get etcdcluster -A"
echo "Tear it down: make cluster-down"
