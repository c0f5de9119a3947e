#!/usr/bin/env bash
# Prints (or, when sourced, exports) the environment for using the local cluster:
#
#   eval "$(hack/local-cluster/env.sh)"     or     source hack/local-cluster/env.sh
#   kubectl get nodes                       ($KUBECTL is the matching kubectl)
#
# KUBECONFIG                       admin kubeconfig (system:masters)
# KUBECTL                          kubectl built for the cluster's version
# LOCAL_CLUSTER_CONTAINERD_SOCKET  the cluster's containerd (ctr --address ... -n k8s.io)
# LOCAL_CLUSTER_STATE              certificates, configs and logs
__lc_env() {
  # shellcheck source=hack/local-cluster/lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
  printf 'export KUBECONFIG=%q\n' "${LC_KUBECONFIG}"
  printf 'export KUBECTL=%q\n' "${KUBECTL}"
  printf 'export LOCAL_CLUSTER_CONTAINERD_SOCKET=%q\n' "${LC_CONTAINERD_SOCK}"
  printf 'export LOCAL_CLUSTER_STATE=%q\n' "${LC_STATE}"
  if [[ ! -f ${LC_KUBECONFIG} ]]; then
    echo "# warning: ${LC_KUBECONFIG} does not exist yet: run hack/local-cluster/up.sh" >&2
  fi
}
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
  eval "$( (__lc_env))"
  unset -f __lc_env
else
  __lc_env
fi
