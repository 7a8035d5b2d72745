{{/* The namespaces Traefik watches, as a JSON array: its own, then each backend's. */}}
{{- define "edge.watchNamespaces" -}}
{{- $namespaces := list .Release.Namespace -}}
{{- range .Values.backends }}{{ $namespaces = append $namespaces .namespace }}{{ end -}}
{{- $namespaces | uniq | toJson -}}
{{- end -}}

{{/* Gateway API kinds come from CRDs that an add-on installs (argocd/addons/gateway-api.yaml): let ArgoCD's dry run pass before they exist. */}}
{{- define "edge.crdAnnotations" -}}
argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true
{{- end -}}
