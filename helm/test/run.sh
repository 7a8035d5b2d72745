#!/usr/bin/env bash
# npm run test:k8s: everything about Kubernetes delivery that can be verified without a cluster or Docker.
# Tools (helm, kubeconform, sops, starlark) come from scripts/tools/install.sh (built once with go install, cached);
# the strict Kubernetes JSON schemas from helm/test/tools/k8s-schemas.sh (pip, hash-pinned, cached).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/tools/install.sh
export PATH="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}/bin:$PATH"
bash helm/test/tools/k8s-schemas.sh >/dev/null
for chart in helm/charts/*/; do
  if grep -q '^dependencies:' "$chart/Chart.yaml"; then helm dependency build "$chart" >/dev/null; fi
done
exec node --test --test-reporter=spec helm/test/*.test.ts
