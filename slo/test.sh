#!/usr/bin/env bash
# The static SLO checks (no running services): npm run test:slo:static. The stages, in order:
#   rules-drift          the committed rules, drill rules and promtool tests are what the specs generate (Sloth)
#   dashboards-drift     the committed Grafana dashboards are what slo/dashboards/generate.ts writes
#   rules-valid          promtool check rules: production and drill rules are valid
#   rules-tests          promtool test rules: the alert and recording-rule unit tests (production and drill,
#                        and their long-window files)
#   rules-mutation       every mutant of the rules (slo/mutation/run.ts: windows, factors, selectors...) fails a test
#   alertmanager-config  amtool check-config: the local and production Alertmanager configs
#   alertmanager-routes  amtool config routes test: slo/alertmanager/routes.tests against both configs
#   typecheck            type check of slo/
#   receiver-tests       the receiver's unit tests and the Alertmanager tests (slo/alertmanager/test: a real
#                        prometheus-alertmanager routing to the receiver: delivery, grouping per service, inhibition;
#                        both configurations routing alike)
# They stop at the first failure and end with a summary (scripts/lib/stages.sh).
set -euo pipefail

slo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$slo_dir")"
export PATH="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}/bin:$repo_dir/node_modules/.bin:$PATH"
cd "$repo_dir"
source scripts/lib/stages.sh

missing=()
for tool in promtool amtool prometheus-alertmanager node; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "slo: missing tools: ${missing[*]} (install them with: bash scripts/tools/install.sh)" >&2
  exit 1
fi

stage_rules-drift() { bash slo/generate.sh --check; }
stage_dashboards-drift() { node slo/dashboards/generate.ts --check; }
stage_rules-valid() { promtool check rules slo/rules/*.yml slo/rules-drill/*.yml; }
stage_rules-tests() { promtool test rules slo/tests/*.test.yml; }
stage_rules-mutation() { node slo/mutation/run.ts; }
stage_alertmanager-config() {
  amtool check-config slo/alertmanager/alertmanager.local.yml slo/alertmanager/alertmanager.production.yml
}
stage_alertmanager-routes() {
  local config cases=0 bad=0 line expected labels got
  for config in slo/alertmanager/alertmanager.local.yml slo/alertmanager/alertmanager.production.yml; do
    while IFS= read -r line; do
      case "$line" in '' | '#'*) continue ;; esac
      read -r expected labels <<<"$line"
      cases=$((cases + 1))
      # shellcheck disable=SC2086 # the labels are separate words on purpose
      if ! got="$(amtool config routes test --config.file="$config" \
        --verify.receivers="$expected" $labels 2>/dev/null)"; then
        echo "routing: $(basename "$config"): expected $expected, got $got: $labels"
        bad=$((bad + 1))
      fi
    done <slo/alertmanager/routes.tests
  done
  echo "routing: $((cases - bad)) of $cases cases routed as expected"
  [ "$bad" -eq 0 ] && [ "$cases" -gt 0 ]
}
stage_typecheck() { tsc -p slo/tsconfig.json; }
stage_receiver-tests() {
  node --test --test-reporter=spec slo/receiver/test/receiver.test.ts slo/alertmanager/test/*.test.ts
}

run_stages slo-static rules-drift dashboards-drift rules-valid rules-tests rules-mutation \
  alertmanager-config alertmanager-routes typecheck receiver-tests
