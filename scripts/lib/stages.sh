# The one way the test scripts run stages (npm test, test:k8s, test:slo:static). Sourced.
# A stage is a shell function named stage_<name>. run_stages runs the named stages in order, stops at
# the first that fails, then prints a table of every named stage's time and result. A suite may define
# before_stage: it runs first in each stage, with the stage's name (npm test waits there for the tools the
# stage needs), and its failure is the stage's.
#
#   stage_lint() { npm run --silent lint; }
#   run_stages "npm test" typecheck lint
#
# Returns 0 when every stage passed, 1 when one failed, 2 when a name is not a stage (nothing runs).
# Call it as a plain command, not in an `if` or with `||`: bash would then ignore set -e inside stages.

# check_stages <suite> <name>...: returns 2, saying so, if a name is not a stage.
check_stages() {
  local suite="$1"; shift
  local stage known
  for stage in "$@"; do
    if ! declare -F "stage_$stage" >/dev/null; then
      known="$(compgen -A function stage_ | sed 's/^stage_//' | paste -sd ' ')"
      echo "$suite: unknown stage: $stage (stages: $known)" >&2
      return 2
    fi
  done
}

run_stages() {
  local suite="$1"; shift
  check_stages "$suite" "$@" || return 2

  local errexit=false; [[ $- == *e* ]] && errexit=true
  local stage rows=() status=0 started result
  for stage in "$@"; do
    if [ "$status" -ne 0 ]; then
      rows+=("$(printf '%-20s %6s  %s' "$stage" '' 'not run')")
      continue
    fi
    echo
    echo "=== $suite: $stage"
    started=$SECONDS
    # In a subshell, so that set -e stops the stage at its first failing command and the stage's
    # cd and variables stay its own.
    set +e
    (
      set -e
      if declare -F before_stage >/dev/null; then before_stage "$stage"; fi
      "stage_$stage"
    )
    status=$?
    $errexit && set -e
    result=passed; [ "$status" -eq 0 ] || result=FAILED
    rows+=("$(printf '%-20s %4d s  %s' "$stage" $((SECONDS - started)) "$result")")
  done

  echo
  local outcome='all stages passed'; [ "$status" -eq 0 ] || outcome='stopped at the first failure'
  echo "=== $suite: $outcome"
  printf '  %s\n' "${rows[@]}"
  [ "$status" -eq 0 ] || return 1
}
