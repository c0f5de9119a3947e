#!/usr/bin/env bash
# make test-olm: the OLM install and upgrade suite (test/olm, build tag olm) on the local
# cluster. Separate from the main end-to-end suite (test/e2e, make test-e2e).
#
#   hack/olm/test.sh [go test flags...]
#
# OLM_LABELS, when set, is passed as -ginkgo.label-filter (the specs carry the
# labels olm and slow, and install, smoke or upgrade), e.g. OLM_LABELS='olm'.
#
# Brings the local cluster up only if its API server does not answer, then runs
# test/olm, which installs OLM (hack/olm/install.sh), publishes the operator, bundle and
# catalog images to the loopback registry (hack/olm/publish.sh, hack/olm/registry.sh),
# scales config/default's operator to 0 while it runs (and back afterwards), installs
# etcd-operator.v0.1.0 through a CatalogSource, an OperatorGroup and a Subscription,
# runs the 3-member sample, upgrades to v0.1.1 and checks that the EtcdCluster was not
# touched; installs v0.1.1 in OwnNamespace mode in a namespace of its own and runs the
# sample there. Prints the timings (_output/olm-timings.json). OLM and the registry stay
# (make olm-uninstall, hack/olm/registry.sh stop).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "${repo}"
export GOFLAGS=${GOFLAGS:--buildvcs=false}
start=$(date +%s)
step() { echo; echo "== $* (+$(($(date +%s) - start))s)"; }

eval "$(hack/local-cluster/env.sh)"
if ! "${KUBECTL}" get --raw /readyz > /dev/null 2>&1; then
  step "local Kubernetes (hack/local-cluster/up.sh)"
  hack/local-cluster/up.sh
fi

step "go test -tags olm ./test/olm/ (KUBECONFIG=${KUBECONFIG})"
timings=_output/olm-timings.json
rm -f "${timings}"
ginkgo_flags=(-ginkgo.v)
[[ -t 1 ]] || ginkgo_flags+=(-ginkgo.no-color)
if [[ -n ${OLM_LABELS:-} ]]; then
  ginkgo_flags+=("-ginkgo.label-filter=${OLM_LABELS}")
fi
rc=0
go test -tags olm ./test/olm/ -count=1 -timeout 45m -v "${ginkgo_flags[@]}" "$@" || rc=$?

step "timings (${timings})"
if [[ -f ${timings} ]]; then cat "${timings}"; else echo "no timings: the suite did not get to write them"; fi
echo
echo "test-olm $([[ ${rc} -eq 0 ]] && echo passed || echo FAILED) in $(($(date +%s) - start))s; OLM and the registry stay up (make olm-uninstall; hack/olm/registry.sh stop)"
exit "${rc}"
