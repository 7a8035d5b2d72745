{{/* Everything a platform service chart renders; a service chart's only template calls this. */}}
{{- define "platform-lib.service-chart" -}}
{{ include "platform-lib.serviceAccount" . }}
---
{{ include "platform-lib.service" . }}
---
{{ include "platform-lib.deployment" . }}
---
{{ include "platform-lib.networkPolicy" . }}
{{- with (include "platform-lib.pdb" .) }}
---
{{ . }}
{{- end }}
{{- with (include "platform-lib.hpa" .) }}
---
{{ . }}
{{- end }}
{{- with (include "platform-lib.serviceMonitor" .) }}
---
{{ . }}
{{- end }}
{{- if (hasKey .Values "httpRoute") }}
{{- with (include "platform-lib.httpRoute" .) }}
---
{{ . }}
{{- end }}
{{- end }}
{{- end -}}
