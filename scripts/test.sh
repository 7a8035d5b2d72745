#!/usr/bin/env bash
# `npm test`: the whole suite, from a fresh clone. Provisions what the tests need (idempotent and
# cached: Debian packages, Go tools in ~/.cache/platform-tools, npm packages, Node 24, the Prisma
# client), then runs every stage in order, stops at the first failing one and prints a summary
# (scripts/lib/stages.sh).
#
#   npm test                 everything
#   npm test -- unit e2e     only the named stages
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/stages.sh

all_stages=(typecheck lint security unit integration e2e faults slo-static slo k8s cluster gitops)

stage_typecheck() { npm run --silent typecheck; }
stage_lint() { npm run --silent lint; }
stage_security() { npm run --silent test:security; }
stage_unit() { npm run --silent test:unit; }
stage_integration() { npm run --silent test:integration; }
stage_e2e() { npm run --silent test:e2e; }
stage_faults() { npm run --silent test:faults; }
stage_slo-static() { npm run --silent test:slo:static; }
stage_slo() { npm run --silent test:slo; }
stage_k8s() { npm run --silent test:k8s; }
stage_cluster() { npm run --silent test:cluster; }
stage_gitops() { npm run --silent test:gitops; }

# The groups of Go tools (scripts/tools/go-tools.tsv) each stage needs; typecheck and lint need none.
declare -A stage_tool_groups=(
  [security]=scan [unit]=scan [integration]=stack [e2e]=stack [faults]=stack [slo-static]=stack [slo]=stack
  [k8s]="stack delivery" [cluster]="stack delivery" [gitops]="stack delivery"
)
before_stage() {
  # shellcheck disable=SC2086 # a list of group names
  await_tool_groups ${stage_tool_groups[$1]:-}
}

stages=("${@:-${all_stages[@]}}")
check_stages "npm test" "${stages[@]}" || exit 2 # before provisioning, which can take minutes

bash scripts/tools/install.sh --system
source scripts/tools/background.sh
groups_needed=()
for group in scan stack delivery; do
  for stage in "${stages[@]}"; do
    if [[ " ${stage_tool_groups[$stage]:-} " == *" $group "* ]]; then groups_needed+=("$group") && break; fi
  done
done
start_tool_builds "${groups_needed[@]}"
source scripts/lib/bootstrap.sh
bootstrap
export PATH="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}/bin:$PATH"

run_stages "npm test" "${stages[@]}"
