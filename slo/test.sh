#!/usr/bin/env bash
# The static SLO checks (no running services): npm run test:slo:static.
#   1. drift: the committed rules, drill rules and promtool tests are what the specs generate (Sloth)
#   2. promtool check rules: production and drill rules are valid
#   3. promtool test rules: the alert and recording-rule unit tests (production and drill)
#   4. amtool check-config: the local and production Alertmanager configs
#   5. amtool config routes test: slo/alertmanager/routes.tests against both configs
#   6. TypeScript: type check of slo/, the receiver's unit tests and the Alertmanager test
#      (a real prometheus-alertmanager routing to the receiver: delivery, grouping, inhibition)
# Every step runs even when an earlier one fails; the last line sums them up.
set -uo pipefail

slo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$slo_dir")"
export PATH="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}/bin:$repo_dir/node_modules/.bin:$PATH"
cd "$repo_dir"

missing=()
for tool in promtool amtool prometheus-alertmanager node; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "slo: missing tools: ${missing[*]} (install them with: bash scripts/tools/install.sh)" >&2
  exit 1
fi

passed=0
failed=0
failures=()
step() {
  local name="$1"; shift
  echo "== slo: $name"
  local started=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "-- ok: $name ($((SECONDS - started)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "-- FAILED: $name ($((SECONDS - started)) s)"
  fi
}

routing_tests() {
  local config cases=0 bad=0 line expected labels got
  for config in slo/alertmanager/alertmanager.local.yml slo/alertmanager/alertmanager.production.yml; do
    while IFS= read -r line; do
      case "$line" in '' | '#'*) continue ;; esac
      read -r expected labels <<<"$line"
      cases=$((cases + 1))
      # shellcheck disable=SC2086 # the labels are separate words on purpose
      if ! got="$(amtool config routes test --config.file="$config" --verify.receivers="$expected" $labels 2>/dev/null)"; then
        echo "routing: $(basename "$config"): expected $expected, got $got: $labels"
        bad=$((bad + 1))
      fi
    done <slo/alertmanager/routes.tests
  done
  echo "routing: $((cases - bad)) of $cases cases routed as expected"
  [ "$bad" -eq 0 ] && [ "$cases" -gt 0 ]
}

step "drift check (slo/generate.sh --check)" bash slo/generate.sh --check
step "dashboards drift check (slo/dashboards/generate.ts --check)" node slo/dashboards/generate.ts --check
step "promtool check rules" promtool check rules slo/rules/*.yml slo/rules-drill/*.yml
step "promtool test rules" promtool test rules slo/tests/*.test.yml
step "amtool check-config" amtool check-config slo/alertmanager/alertmanager.local.yml slo/alertmanager/alertmanager.production.yml
step "amtool routing tests" routing_tests
step "typecheck slo/" tsc -p slo/tsconfig.json
step "receiver and alertmanager tests (node --test)" \
  node --test --test-reporter=spec slo/receiver/test/receiver.test.ts slo/alertmanager/test/alertmanager.test.ts

if [ "$failed" -gt 0 ]; then
  printf 'slo: failed: %s\n' "${failures[@]}"
fi
echo "slo-static: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
