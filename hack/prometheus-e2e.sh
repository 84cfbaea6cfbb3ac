#!/usr/bin/env bash
# End-to-end check with a real Prometheus: it scrapes the controller while it runs the devcluster demo
# (`restore-hooks start` without a cluster), and PromQL must report what the demo does. .ci/run installs Debian's
# prometheus and runs this; it also runs by hand: `bash hack/prometheus-e2e.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

metrics_port=${METRICS_PORT:-18080}
prom_port=${PROM_PORT:-19090}
work=$(mktemp -d)
ctl_pid=
prom_pid=
cleanup() {
  [ -n "$ctl_pid" ] && kill -INT "$ctl_pid" 2>/dev/null && wait "$ctl_pid" 2>/dev/null || true
  [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "prometheus-e2e: FAILED: $*" >&2
  echo "--- controller stderr" >&2; tail -20 "$work/controller.err" >&2 || true
  echo "--- prometheus log" >&2; tail -20 "$work/prometheus.log" >&2 || true
  exit 1
}

# The example alert rules (a PrometheusRule) must load as Prometheus rules: promtool parses their PromQL.
node_modules/.bin/node --input-type=module -e '
  import { readFileSync } from "node:fs";
  import { parse, stringify } from "yaml";
  process.stdout.write(stringify(parse(readFileSync(process.argv[1], "utf8")).spec));
' manifests/components/prometheus-rules/prometheus-rule.yaml >"$work/rules.yml"
promtool check rules "$work/rules.yml" >"$work/promtool.log" 2>&1 || { cat "$work/promtool.log" >&2; fail "promtool check rules"; }
echo "prometheus-e2e: the example alert rules pass promtool check rules"

# No cluster configured: an empty HOME and no KUBECONFIG make `start` run the demo.
env -u KUBECONFIG -u KUBERNETES_SERVICE_HOST HOME="$work" \
  RESTORE_HOOKS_METRICS_BIND_ADDRESS="127.0.0.1:$metrics_port" \
  RESTORE_HOOKS_HEALTH_PROBE_BIND_ADDRESS=127.0.0.1:0 \
  node_modules/.bin/node src/cli.ts start >"$work/controller.log" 2>"$work/controller.err" &
ctl_pid=$!

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: restore-hooks
    static_configs:
      - targets: ['127.0.0.1:$metrics_port']
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
prom_pid=$!

# Prints the single value of an instant query, or nothing.
query() {
  curl -sf "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
    node_modules/.bin/node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).data.result;if(r.length===1)process.stdout.write(r[0].value[1])})' 2>/dev/null ||
    true
}

expect_value() {
  local promql=$1 want=$2 got=
  for _ in $(seq 1 120); do
    got=$(query "$promql")
    [ "$got" = "$want" ] && { echo "prometheus-e2e: ok: $promql = $got"; return 0; }
    kill -0 "$ctl_pid" 2>/dev/null || fail "the controller exited"
    sleep 1
  done
  fail "$promql = '${got}', want $want"
}

expect_value 'up{job="restore-hooks"}' 1
# The demo's Velero injects r2's init hooks into the pods it restores (web's two, db-0, one agent pod, standalone),
# as the real Velero does. The workload webhook marks what Velero restores (Deployment web, its ReplicaSet,
# StatefulSet db, DaemonSet agent, and the two ControllerRevisions) and the pod webhook hooks the pods the workloads
# create (the DaemonSet's on the two other nodes): no template is patched and no pod replaced.
expect_value 'sum(restore_hooks_admission_total{webhook="workloads",result="patched"})' 6
expect_value 'sum(restore_hooks_admission_total{webhook="pods",result="patched"})' 2
expect_value 'sum(controller_runtime_webhook_requests_total{webhook="/mutate-pods",code="200"}) >= bool 2' 1
expect_value 'sum(restore_hooks_templates_patched_total{restore="r2",namespace="app"}) or vector(0)' 0
expect_value 'sum(restore_hooks_pods_replaced_total{restore="r2"}) or vector(0)' 0
expect_value 'count(controller_runtime_reconcile_total{controller="workload",result="success"} > 0)' 1
echo "prometheus-e2e: 7 checks passed"
