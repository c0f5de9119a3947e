#!/usr/bin/env bash
# Smoke test of a running local cluster (hack/local-cluster/up.sh): a 3-member etcd
# StatefulSet of quay.io/coreos/etcd:v3.7.3 (headless Service with
# publishNotReadyAddresses, PVCs on the local-path class, uid 65532, read-only root
# filesystem), `etcdctl endpoint health --cluster` from inside a pod, deletion of one
# member's pod and its return (same member ID, data intact), then deletion of the
# namespace and of the volumes' data. Prints the timings.
#
#   hack/local-cluster/smoke-test.sh [--keep]     (--keep: leave the namespace)
set -euo pipefail
# shellcheck source=hack/local-cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NS=lc-smoke
IMAGE=${IMAGE:-quay.io/coreos/etcd:${ETCD_IMAGE_VERSION}}
KEEP=0; [[ ${1:-} == --keep ]] && KEEP=1
kc() { "${KUBECTL}" --kubeconfig "${LC_KUBECONFIG}" "$@"; }
health() { kc -n "${NS}" exec "$1" -- /usr/local/bin/etcdctl --endpoints "http://127.0.0.1:2379" endpoint health --cluster; }

kc get ns "${NS}" > /dev/null 2>&1 && { kc delete ns "${NS}" --wait=true > /dev/null; }
svc=etcd.${NS}.svc.${LC_CLUSTER_DOMAIN}
peers=etcd-0=http://etcd-0.${svc}:2380,etcd-1=http://etcd-1.${svc}:2380,etcd-2=http://etcd-2.${svc}:2380

t0=$(lc_now)
kc apply -f - > /dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: v1
kind: Service
metadata: {name: etcd, namespace: ${NS}}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app: etcd}
  ports: [{name: client, port: 2379}, {name: peer, port: 2380}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: etcd, namespace: ${NS}}
spec:
  serviceName: etcd
  replicas: 3
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: etcd}}
  template:
    metadata: {labels: {app: etcd}}
    spec:
      terminationGracePeriodSeconds: 10
      securityContext: {runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, runAsNonRoot: true}
      containers:
      - name: etcd
        image: ${IMAGE}
        imagePullPolicy: IfNotPresent
        command: [/usr/local/bin/etcd]
        env:
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        - {name: ETCD_NAME, value: \$(POD_NAME)}
        - {name: ETCD_DATA_DIR, value: /var/lib/etcd/data}
        - {name: ETCD_INITIAL_CLUSTER, value: "${peers}"}
        - {name: ETCD_INITIAL_CLUSTER_STATE, value: new}
        - {name: ETCD_INITIAL_CLUSTER_TOKEN, value: ${NS}}
        - {name: ETCD_LISTEN_CLIENT_URLS, value: "http://0.0.0.0:2379"}
        - {name: ETCD_ADVERTISE_CLIENT_URLS, value: "http://\$(POD_NAME).${svc}:2379"}
        - {name: ETCD_LISTEN_PEER_URLS, value: "http://0.0.0.0:2380"}
        - {name: ETCD_INITIAL_ADVERTISE_PEER_URLS, value: "http://\$(POD_NAME).${svc}:2380"}
        ports: [{name: client, containerPort: 2379}, {name: peer, containerPort: 2380}]
        readinessProbe:
          httpGet: {path: /readyz, port: 2379}
          periodSeconds: 2
        securityContext:
          readOnlyRootFilesystem: true
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
        volumeMounts: [{name: data, mountPath: /var/lib/etcd}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: local-path
      resources: {requests: {storage: 1Gi}}
EOF
lc_wait 180 "3/3 etcd pods Ready" bash -c "[[ \$('${KUBECTL}' --kubeconfig '${LC_KUBECONFIG}' -n ${NS} get statefulset etcd -o jsonpath='{.status.readyReplicas}') == 3 ]]" || {
  kc -n "${NS}" get pods,pvc -o wide; kc -n "${NS}" describe pods | tail -40; exit 1; }
t_ready=$(lc_elapsed "${t0}")
# --cluster dials the members' advertised names: wait until all three answer (CoreDNS
# caches no negative answers for the cluster domain, so this is quick).
lc_wait 60 "endpoint health --cluster" health etcd-0
health etcd-0
t_health=$(lc_elapsed "${t0}")
kc -n "${NS}" get pods -o wide
kc get pv

id_before=$(kc -n "${NS}" exec etcd-0 -- /usr/local/bin/etcdctl member list | awk -F', ' '$3=="etcd-1" {print $1}')
kc -n "${NS}" exec etcd-0 -- /usr/local/bin/etcdctl put smoke-key smoke-value > /dev/null
uid_old=$(kc -n "${NS}" get pod etcd-1 -o jsonpath='{.metadata.uid}')
t1=$(lc_now)
kc -n "${NS}" delete pod etcd-1 --wait=false > /dev/null
lc_wait 60 "etcd-1 to be replaced" bash -c "uid=\$('${KUBECTL}' --kubeconfig '${LC_KUBECONFIG}' -n ${NS} get pod etcd-1 -o jsonpath='{.metadata.uid}' 2>/dev/null); [[ -n \${uid} && \${uid} != ${uid_old} ]]"
lc_wait 120 "etcd-1 Ready again" bash -c "[[ \$('${KUBECTL}' --kubeconfig '${LC_KUBECONFIG}' -n ${NS} get statefulset etcd -o jsonpath='{.status.readyReplicas}') == 3 ]] && '${KUBECTL}' --kubeconfig '${LC_KUBECONFIG}' -n ${NS} exec etcd-1 -- /usr/local/bin/etcdctl --endpoints http://127.0.0.1:2379 endpoint health --cluster"
t_recover=$(lc_elapsed "${t1}")
health etcd-1
id_after=$(kc -n "${NS}" exec etcd-1 -- /usr/local/bin/etcdctl member list | awk -F', ' '$3=="etcd-1" {print $1}')
value=$(kc -n "${NS}" exec etcd-1 -- /usr/local/bin/etcdctl get --print-value-only smoke-key)
[[ ${id_before} == "${id_after}" ]] || { echo "etcd-1 member ID changed: ${id_before} -> ${id_after}" >&2; exit 1; }
[[ ${value} == smoke-value ]] || { echo "data lost: smoke-key=${value}" >&2; exit 1; }

if ((KEEP == 0)); then
  t2=$(lc_now)
  kc delete ns "${NS}" --wait=true > /dev/null
  lc_wait 60 "the volumes to be deleted" bash -c "! '${KUBECTL}' --kubeconfig '${LC_KUBECONFIG}' get pv -o name | grep -q . && [[ -z \$(ls -A '${LC_DATA}/local-path') ]]"
  t_cleanup=$(lc_elapsed "${t2}")
fi
echo "smoke test passed:"
echo "  StatefulSet applied -> 3/3 Ready:          ${t_ready}s"
echo "  ... and endpoint health --cluster OK:      ${t_health}s"
echo "  pod etcd-1 deleted -> back, cluster healthy: ${t_recover}s (member ${id_after} kept, data intact)"
((KEEP == 0)) && echo "  namespace deleted -> PVs and data removed: ${t_cleanup}s"
exit 0
