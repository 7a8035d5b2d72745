#!/usr/bin/env bash
# `npm test`: the whole suite, from a fresh clone. Provisions what the tests need (idempotent and
# cached: Debian packages, Go tools in ~/.cache/platform-tools, npm packages, Node 24, the Prisma
# client), then runs every stage in order and prints a summary. Stops at the first failing stage.
#
#   npm test                 everything
#   npm test -- unit e2e     only the named stages
set -euo pipefail
cd "$(dirname "$0")/.."

all_stages=(typecheck lint security unit integration e2e faults slo-static slo k8s cluster gitops)
stages=("${@:-${all_stages[@]}}")

bash scripts/tools/install.sh
source scripts/lib/bootstrap.sh
bootstrap
export PATH="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}/bin:$PATH"

declare -A commands=(
  [typecheck]="npm run --silent typecheck"
  [lint]="npm run --silent lint"
  [security]="npm run --silent test:security"
  [unit]="npm run --silent test:unit"
  [integration]="npm run --silent test:integration"
  [e2e]="npm run --silent test:e2e"
  [faults]="npm run --silent test:faults"
  [slo-static]="npm run --silent test:slo:static"
  [slo]="npm run --silent test:slo"
  [k8s]="npm run --silent test:k8s"
  [cluster]="npm run --silent test:cluster"
  [gitops]="npm run --silent test:gitops"
)

summary=()
for stage in "${stages[@]}"; do
  command="${commands[$stage]:-}"
  if [ -z "$command" ]; then
    echo "unknown stage: $stage (stages: ${all_stages[*]})" >&2
    exit 2
  fi
  echo
  echo "=== $stage: $command"
  started=$SECONDS
  if ! $command; then
    echo
    echo "=== $stage FAILED after $((SECONDS - started)) s"
    exit 1
  fi
  summary+=("$(printf '%-12s %4d s' "$stage" $((SECONDS - started)))")
done

echo
echo "=== all stages passed"
printf '  %s\n' "${summary[@]}"
