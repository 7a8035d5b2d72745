#!/usr/bin/env bash
# Generates everything derived from the SLO specs (slo/specs/*.yml), with Sloth itself:
#   slo/rules/        production rules (Sloth's default 30-day windows)
#   slo/rules-drill/  the drill variant: the same specs over the compressed windows of
#                     slo/windows/drill-30d.yaml, evaluated every 10 s, labelled slo_variant="drill"
#   slo/rules*/<service>-absence.yml  the alerts for SLIs that cannot be measured (slo/absence/generate.ts)
#   slo/rules*/<service>-budget.yml   the error budget policy's alert (slo/budget/generate.ts)
#   slo/tests/*.test.yml  the promtool unit tests (slo/tests/generate.ts)
#
#   bash slo/generate.sh          regenerate in place (npm run slo:generate)
#   bash slo/generate.sh --check  regenerate into a scratch directory and fail on any difference
#                                 from the committed files (drift)
set -euo pipefail

slo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$slo_dir")"
export PATH="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}/bin:$repo_dir/node_modules/.bin:$PATH"
check=false
[ "${1:-}" = "--check" ] && check=true

# Sloth itself, built once from its pinned version (scripts/tools/go-tools.tsv).
bash "$repo_dir/scripts/tools/install.sh" sloth

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rules" "$work/rules-drill"

# Sloth's default plugin chain, written out for one change: the 30-day SLI is computed from the raw
# counters (errors over requests in 30 days), not "optimized" into the average of the 5-minute ratios,
# which weighs a quiet night's minute like a busy hour's and is NaN, poisoning the average, after five
# minutes without traffic. The cost: the 30-day rule reads every sample of its series at each evaluation.
slo_plugins=(
  --disable-default-slo-plugins
  --slo-plugins '{"id":"sloth.dev/core/validate/v1","priority":-1000}'
  --slo-plugins '{"id":"sloth.dev/core/sli_rules/v1","priority":0,"config":{"disableOptimized":true}}'
  --slo-plugins '{"id":"sloth.dev/core/metadata_rules/v1","priority":1}'
  --slo-plugins '{"id":"sloth.dev/core/alert_rules/v1","priority":2}'
)

# Sloth logs progress to stderr: keep it, and show it only when Sloth fails.
sloth_generate() {
  local out="$1"; shift
  if ! sloth generate --input "$slo_dir/specs" --out "$work/$out" "${slo_plugins[@]}" "$@" 2>"$work/sloth.log"; then
    cat "$work/sloth.log" >&2
    echo "slo: sloth generate failed ($out)" >&2
    exit 1
  fi
}
# The drill's rules are evaluated every 10 s: Sloth's and the generators' below.
drill_interval=10s
sloth_generate rules
sloth_generate rules-drill \
  --slo-period-windows-path "$slo_dir/windows" \
  --extra-labels slo_variant=drill \
  --slo-plugins "{\"id\":\"sloth.dev/contrib/rule_intervals/v1\",\"priority\":0,\"config\":{\"interval\":{\"default\":\"$drill_interval\"}}}"

# Say where each generated file comes from, above Sloth's own "DO NOT EDIT" header.
for file in "$work"/rules/*.yml "$work"/rules-drill/*.yml; do
  variant="$(basename "$(dirname "$file")")"
  {
    echo "# Generated from slo/specs/$(basename "$file") by \`npm run slo:generate\` (slo/generate.sh, $variant). Never edit by hand."
    cat "$file"
  } >"$file.tmp"
  mv "$file.tmp" "$file"
done

# The absence alerts Sloth has no notion of: they page when the SLIs themselves are gone.
node "$slo_dir/absence/generate.ts" "$work/rules"
node "$slo_dir/absence/generate.ts" "$work/rules-drill" --drill --interval="$drill_interval"
# The error budget policy's alert (scripts/promote runs its expression).
node "$slo_dir/budget/generate.ts" "$work/rules"
node "$slo_dir/budget/generate.ts" "$work/rules-drill" --drill --interval="$drill_interval"

if ! $check; then
  rm -f "$slo_dir"/rules/*.yml "$slo_dir"/rules-drill/*.yml
  cp "$work"/rules/*.yml "$slo_dir/rules/"
  cp "$work"/rules-drill/*.yml "$slo_dir/rules-drill/"
  node "$slo_dir/tests/generate.ts"
  echo "slo: generated $(ls "$slo_dir"/rules/*.yml "$slo_dir"/rules-drill/*.yml | sed "s|$repo_dir/||" | tr '\n' ' ')and the promtool tests"
  exit 0
fi

drift=false
for variant in rules rules-drill; do
  if ! diff -r -u "$slo_dir/$variant" "$work/$variant" >"$work/diff" 2>&1; then
    echo "slo: drift: slo/$variant/ is not what the specs generate; run npm run slo:generate" >&2
    head -40 "$work/diff" >&2
    drift=true
  fi
done
node "$slo_dir/tests/generate.ts" --check || drift=true
$drift && exit 1
echo "slo: generated rules and promtool tests match the specs (no drift)"
