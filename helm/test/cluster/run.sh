#!/usr/bin/env bash
# npm run test:cluster: the platform on a real single-node Kubernetes built here (npm run cluster), then the
# suites in helm/test/cluster against it, then the cluster taken down and the host checked to be as it was.
# A trap takes the cluster down on success, failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source scripts/lib/bootstrap.sh
bootstrap
bash scripts/tools/install.sh
bash scripts/images/build.sh
export PATH="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}/bin:$PATH"
for chart in helm/charts/*/; do
  if grep -q '^dependencies:' "$chart/Chart.yaml"; then helm dependency build "$chart" >/dev/null; fi
done

state="${CLUSTER_STATE_DIR:-$PWD/.dev/cluster}"
teardown() {
  local status=$?
  trap - EXIT INT TERM
  echo
  echo "== cluster: taking it down"
  if ! "$NODE" scripts/cluster/cli.ts --down; then status=1; fi
  if [ $status -eq 0 ]; then "$NODE" helm/test/cluster/summary.ts || status=1; fi
  exit $status
}
trap teardown EXIT
trap 'exit 130' INT TERM

rm -rf "$state/results"
"$NODE" scripts/cluster/cli.ts
echo "== cluster: suites"
# The installation first, as it was left (the others change the cluster: healing scales and restarts the api).
"$NODE" --test --test-reporter=spec helm/test/cluster/install.test.ts
"$NODE" --test --test-concurrency=1 --test-reporter=spec $(ls helm/test/cluster/*.test.ts | grep -v /install.test.ts)
