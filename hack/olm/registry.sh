#!/usr/bin/env bash
# A container registry on loopback for OLM's bundle and catalog images: distribution's
# registry (make -f hack/tools.mk registry), plain HTTP on 127.0.0.1 only.
#
#   hack/olm/registry.sh start    start it unless it runs (idempotent); prints HOST:PORT
#   hack/olm/registry.sh stop     stop it (the stored images stay)
#   hack/olm/registry.sh status   HOST:PORT if it runs, exit 1 otherwise
#   hack/olm/registry.sh purge    stop it and delete the stored images
#
# Why it works without any containerd configuration: the local cluster's containerd
# (1.6, no config_path) treats a registry on localhost/127.0.0.1 as plain HTTP, and its
# HTTP(S)_PROXY (a closed port, so that nothing is pulled from outside) does not apply
# to loopback addresses. OLM's catalog pods and bundle unpack Jobs pull by tag with
# imagePullPolicy Always, so such images must be served by a registry, not only imported.
# crane and opm (--use-http) reach it over HTTP as well.
#
# Env: OLM_REGISTRY_PORT (default 5001), OLM_REGISTRY_DIR (default _output/olm/registry).
# The log is OLM_REGISTRY_DIR/../registry.log.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
port=${OLM_REGISTRY_PORT:-5001}
addr=127.0.0.1:${port}
dir=${OLM_REGISTRY_DIR:-${repo}/_output/olm/registry}
state=$(dirname "${dir}")
pidfile=${state}/registry.pid
log() { printf '[olm-registry] %s\n' "$*" >&2; }
die() { printf '[olm-registry] ERROR: %s\n' "$*" >&2; exit 1; }

# The pid of our registry, if it runs (the pid file names it; the command line must match).
running_pid() {
  local pid
  [[ -f ${pidfile} ]] || return 0
  read -r pid < "${pidfile}" || true
  [[ -n ${pid} && -r /proc/${pid}/cmdline ]] || return 0
  tr '\0' ' ' < "/proc/${pid}/cmdline" | grep -qF "${state}/registry.yml" && echo "${pid}"
  return 0
}
answers() { curl -fsS -o /dev/null --max-time 2 "http://${addr}/v2/" 2> /dev/null; }

stop() {
  local pid i
  pid=$(running_pid)
  [[ -n ${pid} ]] || { rm -f "${pidfile}"; return 0; }
  kill -TERM "${pid}" 2> /dev/null || true
  for ((i = 0; i < 50; i++)); do [[ -d /proc/${pid} ]] || break; sleep 0.1; done
  [[ -d /proc/${pid} ]] && kill -KILL "${pid}" 2> /dev/null
  rm -f "${pidfile}"
  log "stopped (pid ${pid})"
}

case ${1:-} in
  start)
    if [[ -n $(running_pid) ]] && answers; then echo "${addr}"; exit 0; fi
    if ss -Hltn "sport = :${port}" | grep -q .; then
      die "port ${port} is taken by another process (set OLM_REGISTRY_PORT): $(ss -Hltnp "sport = :${port}")"
    fi
    registry=$(make --no-print-directory -s -C "${repo}" -f hack/tools.mk registry)
    mkdir -p "${dir}"
    cat > "${state}/registry.yml" << EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${dir}
  delete:
    enabled: true
http:
  addr: ${addr}
EOF
    # No tracing exporter: it would try to reach a collector.
    OTEL_TRACES_EXPORTER=none OTEL_SDK_DISABLED=true setsid "${registry}" serve "${state}/registry.yml" \
      >> "${state}/registry.log" 2>&1 < /dev/null &
    echo "$!" > "${pidfile}"
    for ((i = 0; i < 100; i++)); do
      answers && { log "serving ${addr} (pid $(cat "${pidfile}"), storage ${dir})"; echo "${addr}"; exit 0; }
      [[ -n $(running_pid) ]] || break
      sleep 0.1
    done
    tail -n 20 "${state}/registry.log" >&2 || true
    die "the registry did not come up on ${addr}"
    ;;
  stop) stop ;;
  status) [[ -n $(running_pid) ]] && answers && echo "${addr}" ;;
  purge)
    stop
    rm -rf "${dir}"
    log "removed ${dir}"
    ;;
  *) die "usage: $0 start|stop|status|purge" ;;
esac
