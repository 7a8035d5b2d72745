{{- define "platform-lib.deployment" -}}
{{- $name := include "platform-lib.name" . -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-lib.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "platform-lib.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "platform-lib.labels" . | nindent 8 }}
      {{- with .Values.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ $name }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ include "platform-lib.terminationGracePeriodSeconds" . }}
      securityContext:
        {{- include "platform-lib.podSecurityContext" . | nindent 8 }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "platform-lib.selectorLabels" . | nindent 14 }}
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "platform-lib.selectorLabels" . | nindent 14 }}
      containers:
        - name: {{ $name }}
          image: {{ include "platform-lib.image" . }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          {{- if .Values.liveUpdate.enabled }}
          # Tilt live update: restart on source changes that Tilt syncs into the container.
          command: ["node", "--watch", "src/main.ts"]
          {{- end }}
          ports:
            - name: http
              containerPort: {{ .Values.port }}
              protocol: TCP
            - name: metrics
              containerPort: {{ .Values.metricsPort }}
              protocol: TCP
          env:
            - name: HOST
              value: "0.0.0.0"
            - name: PORT
              value: {{ .Values.port | quote }}
            - name: METRICS_PORT
              value: {{ .Values.metricsPort | quote }}
            - name: SHUTDOWN_DELAY_MS
              value: {{ .Values.shutdown.delayMs | quote }}
            - name: SHUTDOWN_GRACE_MS
              value: {{ .Values.shutdown.graceMs | quote }}
            {{- range $key := keys .Values.env | sortAlpha }}
            - name: {{ $key }}
              value: {{ get $.Values.env $key | toString | quote }}
            {{- end }}
            {{- range .Values.secretFiles }}
            - name: {{ .env }}_FILE
              value: /run/secrets/{{ .secretName }}/{{ .key }}
            {{- end }}
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 2
            failureThreshold: 30
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
            timeoutSeconds: 2
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            {{- include "platform-lib.containerSecurityContext" . | nindent 12 }}

          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- range $secret := (include "platform-lib.secretNames" . | fromJsonArray) }}
            - name: secret-{{ $secret }}
              mountPath: /run/secrets/{{ $secret }}
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ .Values.tmpSizeLimit }}
        {{- range $secret := (include "platform-lib.secretNames" . | fromJsonArray) }}
        - name: secret-{{ $secret }}
          secret:
            secretName: {{ $secret }}
            defaultMode: 0440
        {{- end }}
{{- end -}}

{{/* The distinct Secret names that secretFiles refer to, as a JSON array. */}}
{{- define "platform-lib.secretNames" -}}
{{- $names := list -}}
{{- range .Values.secretFiles }}{{ $names = append $names .secretName }}{{ end -}}
{{- $names | uniq | sortAlpha | toJson -}}
{{- end -}}
