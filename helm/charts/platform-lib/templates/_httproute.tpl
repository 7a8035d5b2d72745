{{/*
The service's public route: its host on the edge's Gateway (helm/charts/edge), every path to the http port. Nothing
here buffers or limits bodies (Traefik streams them; the API enforces MAX_UPLOAD_BYTES), and the 600 s transfer budget
is the edge's entry point timeout: Traefik 3.6 does not implement HTTPRoute `timeouts`, so none are set here.
*/}}
{{- define "platform-lib.httpRoute" -}}
{{- if .Values.httpRoute.enabled }}
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {{ include "platform-lib.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-lib.labels" . | nindent 4 }}
  annotations:
    # Gateway API CRDs come from an add-on (argocd/addons/gateway-api.yaml): let the dry run pass before they exist.
    argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true
spec:
  parentRefs:
    - group: gateway.networking.k8s.io
      kind: Gateway
      namespace: {{ .Values.httpRoute.gateway.namespace }}
      name: {{ .Values.httpRoute.gateway.name }}
      sectionName: {{ .Values.httpRoute.gateway.listener }}
  hostnames: [{{ .Values.httpRoute.host | quote }}]
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /
      backendRefs:
        - name: {{ include "platform-lib.name" . }}
          port: {{ .Values.port }}
{{- end }}
{{- end -}}
