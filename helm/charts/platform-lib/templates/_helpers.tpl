{{/* Name of the service: the chart name unless nameOverride is set. */}}
{{- define "platform-lib.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "platform-lib.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platform-lib.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "platform-lib.labels" -}}
{{ include "platform-lib.selectorLabels" . }}
app.kubernetes.io/part-of: platform
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Image reference; a tag is required and "latest" is refused (values.schema.json says so too). */}}
{{- define "platform-lib.image" -}}
{{- if eq (toString .Values.image.tag) "latest" -}}{{- fail "image.tag must be a pinned version, not latest" -}}{{- end -}}
{{- printf "%s:%s" .Values.image.repository (toString .Values.image.tag) -}}
{{- end -}}

{{/* Pod securityContext at the "restricted" Pod Security Standard. */}}
{{- define "platform-lib.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "platform-lib.containerSecurityContext" -}}
allowPrivilegeEscalation: false
{{- /* Only Tilt's live update (liveUpdate.enabled) needs a writable root filesystem. */}}
readOnlyRootFilesystem: {{ not .Values.liveUpdate.enabled }}
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
terminationGracePeriodSeconds: the service keeps serving (unready) for SHUTDOWN_DELAY_MS, then drains
in-flight requests for up to SHUTDOWN_GRACE_MS; the kubelet must not SIGKILL before both have passed.
*/}}
{{- define "platform-lib.terminationGracePeriodSeconds" -}}
{{- add (div (add .Values.shutdown.delayMs .Values.shutdown.graceMs) 1000) 5 -}}
{{- end -}}
