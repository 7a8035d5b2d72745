#!/usr/bin/env bash
# npm run test:security: the repository's security hygiene checks, each failing CI on a finding.
#
#   secrets   gitleaks (default rules + .gitleaks.toml) over the whole git history and over the working
#             tree as a commit would see it (tracked and untracked files, minus .gitignore'd ones).
#   audit     npm audit --omit=dev: fails on any high or critical advisory in production dependencies;
#             npm audit signatures: fails on an invalid or missing registry signature.
#
# When the registry's audit or signature services cannot be reached (some build machines cannot), the
# audit step says so loudly and does not fail on that alone; SECURITY_REQUIRE_AUDIT=1 makes it fail.
#
#   scripts/security/scan.sh                     everything, for this repository
#   scripts/security/scan.sh secrets [repo-dir]  only the secret scan (the test points it at a scratch clone)
#   scripts/security/scan.sh audit
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
what="${1:-all}"
repo="$(cd "${2:-$root}" && pwd)"
tools_bin="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}/bin"
export PATH="$tools_bin:$PATH"

failed=()
not_run=()

scan_secrets() {
  command -v gitleaks >/dev/null || bash "$root/scripts/tools/install.sh"
  local config="$root/.gitleaks.toml" options=(--redact --no-banner --no-color --exit-code 1)
  echo "--- secret scan (gitleaks, $(cat "$tools_bin/.gitleaks.version" 2>/dev/null || gitleaks version)): git history of $repo"
  if ! gitleaks git --config "$config" "${options[@]}" --verbose "$repo"; then
    failed+=("secrets in the git history (rotate them, then rewrite history or allowlist a proven false positive in .gitleaks.toml)")
  fi

  # The working tree as a commit would see it: copy those files (not node_modules/ or .dev/, which hold
  # local keys by design and are git-ignored) and scan the copy with the same paths.
  echo "--- secret scan: working tree of $repo (tracked and untracked files, .gitignore respected)"
  local tree
  tree="$(mktemp -d)"
  trap 'rm -rf "$tree"' RETURN
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
    [ -f "$file" ] && printf '%s\0' "$file"
  done | xargs -0 --no-run-if-empty cp --parents -t "$tree")
  if ! (cd "$tree" && gitleaks dir --config "$config" "${options[@]}" --verbose .); then
    failed+=("secrets in the working tree (remove them before committing)")
  fi
}

# Classifies a failed npm command: prints why it could not run if it is a connectivity or endpoint
# problem (exit 0), else returns 1 (a real finding or an unexpected error).
service_unreachable() {
  local output="$1" pattern
  for pattern in 'network request to [^ ]+ failed, reason: [^"]+' '(40[0-9]|5[0-9][0-9]) [A-Za-z ]+ - (GET|POST) https?://[^ "]+' \
    'E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|HOSTUNREACH|NETUNREACH)'; do
    grep -Eo -m1 "$pattern" <<<"$output" && return 0
  done
  return 1
}

cannot_run() {
  local what="$1" why="$2"
  echo
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!!! SECURITY CHECK NOT RUN: $what could not run on this machine."
  echo "!!! Reason: $why"
  echo "!!! Nothing was verified by this step. It does not fail CI for this reason alone; run it where the"
  echo "!!! npm registry's security services are reachable, or set SECURITY_REQUIRE_AUDIT=1 to make this fatal."
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo
  not_run+=("$what")
  if [ "${SECURITY_REQUIRE_AUDIT:-0}" = 1 ]; then failed+=("$what could not run (SECURITY_REQUIRE_AUDIT=1)"); fi
}

audit_dependencies() {
  cd "$root"
  echo "--- npm audit --omit=dev --audit-level=high"
  local report status=0
  # --loglevel: under `npm run --silent` the child npm would inherit "silent" and print nothing at all.
  report="$(npm audit --omit=dev --audit-level=high --json --loglevel=error 2>/dev/null)" || status=$?
  if [ "$status" -eq 0 ]; then
    node -e 'const v = JSON.parse(process.argv[1]).metadata.vulnerabilities; console.log(`no high or critical advisories (${Object.entries(v).map(([k, n]) => `${k} ${n}`).join(", ")})`)' "$report"
  elif grep -q '"vulnerabilities"' <<<"$report"; then
    # A report: list every high or critical advisory, then fail.
    node -e '
      const report = JSON.parse(process.argv[1]);
      for (const [name, v] of Object.entries(report.vulnerabilities)) {
        if (v.severity !== "high" && v.severity !== "critical") continue;
        const titles = v.via.filter((via) => typeof via === "object").map((via) => `${via.title} (${via.url})`);
        console.log(`${v.severity.padEnd(8)} ${name} ${v.range}: ${titles.join("; ") || "via " + v.via.join(", ")}${v.fixAvailable ? " [fix available]" : ""}`);
      }' "$report"
    failed+=("npm audit: high or critical advisories in production dependencies (npm audit --omit=dev for details)")
  elif reason="$(service_unreachable "$report")"; then
    cannot_run "npm audit" "the registry's audit endpoint is unreachable from here: $reason"
  else
    echo "$report"
    failed+=("npm audit failed unexpectedly (exit $status)")
  fi

  echo "--- npm audit signatures"
  local output
  status=0
  # No retries: an unreachable service answers in a second instead of a minute of DNS retries.
  output="$(npm audit signatures --fetch-retries=0 --fetch-timeout=30000 --loglevel=error 2>&1)" || status=$?
  if [ "$status" -eq 0 ]; then
    grep -v '^npm warn' <<<"$output" || true
  elif grep -Eqi 'invalid|missing' <<<"$output" && ! service_unreachable "$output" >/dev/null; then
    echo "$output"
    failed+=("npm audit signatures: packages with invalid or missing registry signatures")
  elif reason="$(service_unreachable "$output")"; then
    cannot_run "npm audit signatures" "a signature or attestation service is unreachable from here: $reason"
  else
    echo "$output"
    failed+=("npm audit signatures failed unexpectedly (exit $status)")
  fi
}

case "$what" in
  secrets) scan_secrets ;;
  audit) audit_dependencies ;;
  all) scan_secrets; audit_dependencies ;;
  *) echo "usage: $0 [all|secrets [repo-dir]|audit]" >&2; exit 2 ;;
esac

if [ ${#failed[@]} -gt 0 ]; then
  echo
  printf 'SECURITY FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
if [ ${#not_run[@]} -gt 0 ]; then
  echo "security checks passed, but NOT RUN on this machine (see above): $(printf '%s; ' "${not_run[@]}")"
else
  echo "security checks passed"
fi
