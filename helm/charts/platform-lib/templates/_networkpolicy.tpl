{{/*
The service's own NetworkPolicy. The namespace already denies all ingress and egress (helm/charts/platform);
this opens exactly: the HTTP port to .Values.networkPolicy.ingressFrom, the metrics port to Prometheus in
monitoring-ns, and egress to each .Values.networkPolicy.egressTo peer (a pod in a namespace, on one port).
*/}}
{{- define "platform-lib.networkPolicy" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "platform-lib.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-lib.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "platform-lib.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    {{- range .Values.networkPolicy.ingressFrom }}
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ .namespace }}
          podSelector:
            matchLabels:
              {{- toYaml .podLabels | nindent 14 }}
      ports:
        - port: http
          protocol: TCP
    {{- end }}
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ .Values.networkPolicy.monitoringNamespace }}
          podSelector:
            matchLabels:
              app.kubernetes.io/name: prometheus
      ports:
        - port: metrics
          protocol: TCP
  egress:
    {{- range .Values.networkPolicy.egressTo }}
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ .namespace }}
          podSelector:
            matchLabels:
              {{- toYaml .podLabels | nindent 14 }}
      ports:
        - port: {{ .port }}
          protocol: TCP
    {{- end }}
{{- end -}}
