{{/*
Effective cluster name: .Values.clusterName, defaulting to the release name.
It names every object, so it must be a DNS-1035 label short enough for the
StatefulSet's controller-revision-hash label (52 characters).
*/}}
{{- define "etcd-cluster.clusterName" -}}
{{- $name := default .Release.Name .Values.clusterName -}}
{{- if gt (len $name) 52 -}}
{{- fail (printf "clusterName %q must be at most 52 characters" $name) -}}
{{- end -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "clusterName %q must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter)" $name) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "etcd-cluster.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Container image reference: <repository>@<digest> when .Values.image.digest is
set (the image pinned by content), else <repository>:<tag>, the tag
defaulting to "v" + .Values.version.
*/}}
{{- define "etcd-cluster.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- $tag := .Values.image.tag | default (printf "v%s" (trimPrefix "v" .Values.version)) -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/*
Selector labels (StatefulSet selector, Service selectors). Immutable: never
add anything here.
*/}}
{{- define "etcd-cluster.selectorLabels" -}}
{{- $labels := dict "app.kubernetes.io/name" "etcd" "app.kubernetes.io/instance" (include "etcd-cluster.clusterName" .) -}}
{{- toYaml $labels -}}
{{- end -}}

{{/*
Labels for every object's metadata: selector labels, managed-by, version,
component, chart, plus .Values.commonLabels (which cannot override them).
*/}}
{{- define "etcd-cluster.labels" -}}
{{- $labels := include "etcd-cluster.selectorLabels" . | fromYaml -}}
{{- $_ := set $labels "app.kubernetes.io/managed-by" .Release.Service -}}
{{- $_ = set $labels "app.kubernetes.io/version" (toString .Values.version) -}}
{{- $_ = set $labels "app.kubernetes.io/component" "etcd" -}}
{{- $_ = set $labels "helm.sh/chart" (include "etcd-cluster.chart" .) -}}
{{- toYaml (merge $labels (.Values.commonLabels | default dict)) -}}
{{- end -}}

{{/*
Pod template labels: selector labels, managed-by, component, plus
.Values.podLabels (which cannot override them).
*/}}
{{- define "etcd-cluster.podLabels" -}}
{{- $labels := include "etcd-cluster.selectorLabels" . | fromYaml -}}
{{- $_ := set $labels "app.kubernetes.io/managed-by" .Release.Service -}}
{{- $_ = set $labels "app.kubernetes.io/component" "etcd" -}}
{{- toYaml (merge $labels (.Values.podLabels | default dict)) -}}
{{- end -}}

{{/*
Pod template annotations: the checksum of ONLY the .Values.etcd tuning block
(so tuning changes roll the pods while membership changes in the ConfigMap do
not), plus .Values.podAnnotations.
*/}}
{{- define "etcd-cluster.podAnnotations" -}}
{{- $annotations := dict "etcd.etcd.io/config-checksum" (toJson .Values.etcd | sha256sum) -}}
{{- toYaml (merge $annotations (.Values.podAnnotations | default dict)) -}}
{{- end -}}

{{/*
Headless peer Service name.
*/}}
{{- define "etcd-cluster.peerServiceName" -}}
{{- printf "%s-peer" (include "etcd-cluster.clusterName" .) -}}
{{- end -}}

{{/*
Client Service name.
*/}}
{{- define "etcd-cluster.clientServiceName" -}}
{{- printf "%s-client" (include "etcd-cluster.clusterName" .) -}}
{{- end -}}

{{/*
ConfigMap name.
*/}}
{{- define "etcd-cluster.configMapName" -}}
{{- printf "%s-config" (include "etcd-cluster.clusterName" .) -}}
{{- end -}}

{{/*
DNS domain of the members: <clusterName>-peer.<namespace>.svc.<clusterDomain>.
*/}}
{{- define "etcd-cluster.peerDomain" -}}
{{- printf "%s.%s.svc.%s" (include "etcd-cluster.peerServiceName" .) .Release.Namespace .Values.clusterDomain -}}
{{- end -}}

{{/*
URL of one member. Call with (dict "root" $ "member" NAME "port" PORT).
*/}}
{{- define "etcd-cluster.memberURL" -}}
{{- printf "%s://%s.%s:%d" (include "etcd-cluster.scheme" .root) .member (include "etcd-cluster.peerDomain" .root) (int .port) -}}
{{- end -}}

{{/*
URL scheme of the client and peer listeners: https with TLS.
*/}}
{{- define "etcd-cluster.scheme" -}}
{{- ternary "https" "http" (.Values.tls.enabled | default false) -}}
{{- end -}}

{{/*
ETCD_INITIAL_CLUSTER: comma-joined <member>=<peer URL> for each member of
.Values.cluster.initialMembers, or of <clusterName>-0 .. <clusterName>-(replicas-1)
when that list is empty.
*/}}
{{- define "etcd-cluster.initialCluster" -}}
{{- $name := include "etcd-cluster.clusterName" . -}}
{{- $members := .Values.cluster.initialMembers -}}
{{- if not $members -}}
{{- $members = list -}}
{{- range $i := until (int .Values.replicas) -}}
{{- $members = append $members (printf "%s-%d" $name $i) -}}
{{- end -}}
{{- end -}}
{{- $entries := list -}}
{{- range $member := $members -}}
{{- $entries = append $entries (printf "%s=%s" $member (include "etcd-cluster.memberURL" (dict "root" $ "member" $member "port" 2380))) -}}
{{- end -}}
{{- join "," $entries -}}
{{- end -}}

{{/*
Checks that cannot be expressed in values.schema.json.
*/}}
{{- define "etcd-cluster.validate" -}}
{{- if and .Values.tls.enabled (or (not .Values.tls.serverSecret) (not .Values.tls.peerSecret)) -}}
{{- fail "tls.enabled needs tls.serverSecret and tls.peerSecret (Secrets with ca.crt, tls.crt and tls.key)" -}}
{{- end -}}
{{- if lt (int64 .Values.etcd.electionTimeout) (mul 5 (int64 .Values.etcd.heartbeatInterval)) -}}
{{- fail (printf "etcd.electionTimeout (%d) must be at least 5 times etcd.heartbeatInterval (%d)" (int64 .Values.etcd.electionTimeout) (int64 .Values.etcd.heartbeatInterval)) -}}
{{- end -}}
{{- end -}}

{{/*
The restricted Pod Security profile's container settings, for every container.
*/}}
{{- define "etcd-cluster.containerSecurityContext" -}}
allowPrivilegeEscalation: false
capabilities:
  drop:
    - ALL
readOnlyRootFilesystem: true
{{- end -}}
