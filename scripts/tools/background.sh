# Sourced by scripts/test.sh. On a machine without the Go tools (a fresh CI runner), building them all first
# would add about 45 minutes before the first test. Instead they build in the background, group by group
# (scripts/tools/go-tools.tsv), at the lowest CPU and I/O priority, while the stages that need none of them
# run; a stage waits only for the groups it needs. Where the tools cache is warm, nothing builds or waits.
#
#   start_tool_builds stack delivery   # these groups, one after the other
#   await_tool_groups stack            # returns once they are built; fails with the build's log if one failed

tool_builds_dir="" tool_builds_groups=" "

start_tool_builds() {
  [ $# -gt 0 ] || return 0
  tool_builds_dir=$(mktemp -d -t tool-builds-XXXXXX)
  # Its own session, so that stop_tool_builds reaches go build's children too. A new session is a new
  # scheduler autogroup, which would get as much CPU as the tests whatever its processes' nice: the
  # autogroup gets nice 19 as well (where the kernel has autogroups).
  setsid nice -n 19 ionice -c 3 bash -c '
    [ ! -w /proc/self/autogroup ] || echo 19 >/proc/self/autogroup
    dir=$1; shift
    for group in "$@"; do
      bash scripts/tools/install.sh --group "$group" >"$dir/$group.log" 2>&1
      echo $? >"$dir/$group.status.tmp" && mv "$dir/$group.status.tmp" "$dir/$group.status"
    done' tool-builds "$tool_builds_dir" "$@" &
  tool_builds_pid=$!
  tool_builds_groups=" $* "
  trap stop_tool_builds EXIT
  echo "tools: building the Go tools of $* in the background (logs: $tool_builds_dir)"
}

# A run that ends (or fails) before the builds do stops them; go build leaves no half-written tool behind.
# A failed build's log is in the tools cache (scripts/tools/install.sh); what is here goes.
stop_tool_builds() {
  # (The process itself, in case it has not yet made its session.)
  kill -- "-$tool_builds_pid" 2>/dev/null || kill "$tool_builds_pid" 2>/dev/null || true
  rm -rf "$tool_builds_dir"
}

await_tool_groups() {
  local group status waited
  for group in "$@"; do
    if [[ $tool_builds_groups != *" $group "* ]]; then
      echo "tools: the $group Go tools were not asked for (start_tool_builds)" >&2
      return 1
    fi
    waited=0
    until [ -f "$tool_builds_dir/$group.status" ]; do
      if ((waited % 60 == 0)); then
        echo "tools: waiting for the $group Go tools (${waited} s so far): $(tail -n 1 "$tool_builds_dir/$group.log" 2>/dev/null || echo 'queued')"
      fi
      sleep 2
      waited=$((waited + 2))
    done
    status=$(cat "$tool_builds_dir/$group.status")
    if [ "$status" != 0 ]; then
      echo "tools: building the $group Go tools failed (exit $status):" >&2
      tail -n 30 "$tool_builds_dir/$group.log" >&2
      return 1
    fi
    ((waited == 0)) || echo "tools: the $group Go tools are built (waited ${waited} s)"
  done
}
