#!/usr/bin/env bash
# The suites that need a real cluster (npm run cluster), brought up for them and taken down after, with the
# host checked to be as it was. A trap takes the cluster down on success, failure or Ctrl-C.
#
#   helm/test/cluster/run.sh           npm run test:cluster: the charts installed with helm, helm/test/cluster
#   helm/test/cluster/run.sh gitops    npm run test:gitops: the platform deployed by Argo CD, helm/test/gitops
set -euo pipefail
cd "$(dirname "$0")/../../.."
mode=${1:-cluster}
case "$mode" in
  cluster) up_flags=() ;;
  gitops) up_flags=(--gitops) ;;
  *) echo "usage: $0 [cluster|gitops]" >&2; exit 2 ;;
esac
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
  echo "== $mode: taking the cluster down"
  if ! "$NODE" scripts/cluster/cli.ts --down; then status=1; fi
  if [ $status -eq 0 ]; then "$NODE" "helm/test/$mode/summary.ts" || status=1; fi
  exit $status
}
trap teardown EXIT
trap 'exit 130' INT TERM

rm -rf "$state/results"
"$NODE" scripts/cluster/cli.ts "${up_flags[@]}"
echo "== $mode: suites"
if [ "$mode" = cluster ]; then
  # The installation first, as it was left (the others change the cluster: healing scales and restarts the api).
  "$NODE" --test --test-reporter=spec helm/test/cluster/install.test.ts
  "$NODE" --test --test-concurrency=1 --test-reporter=spec $(ls helm/test/cluster/*.test.ts | grep -v /install.test.ts)
else
  # In order: what Argo CD synced by itself first, then the suites that commit (promotion, the drill).
  "$NODE" --test --test-concurrency=1 --test-reporter=spec helm/test/gitops/applications.test.ts helm/test/gitops/promotion.test.ts \
    helm/test/gitops/slo-drill.test.ts
fi
