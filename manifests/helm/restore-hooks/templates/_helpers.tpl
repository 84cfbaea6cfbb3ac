{{/* Names are fixed, as in manifests/base: the Lease, the webhook Secret and the RBAC rules name them. */}}

{{- define "restore-hooks.selectorLabels" -}}
app.kubernetes.io/name: restore-hooks
{{- end }}

{{- define "restore-hooks.labels" -}}
app.kubernetes.io/component: controller
app.kubernetes.io/name: restore-hooks
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.extraLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* metadata.labels and, when set, metadata.annotations of every object. */}}
{{- define "restore-hooks.meta" -}}
labels:
  {{- include "restore-hooks.labels" . | nindent 2 }}
{{- with .Values.extraAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "restore-hooks.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The settings file: config.settings as YAML, else config.file, else the shipped config/controller.yaml. */}}
{{- define "restore-hooks.configFile" -}}
{{- if .Values.config.settings -}}
{{ toYaml .Values.config.settings }}
{{- else if .Values.config.file -}}
{{ .Values.config.file }}
{{- else -}}
{{ .Files.Get "files/controller.yaml" }}
{{- end -}}
{{- end }}

{{- define "restore-hooks.webhookSecret" -}}restore-hooks-webhook-cert{{- end }}
