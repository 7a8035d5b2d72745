#!/usr/bin/env bash
# Installs the system tools the tests and the local cluster need, idempotently and cached:
#   - Debian packages, with apt-get, when running as root on Debian (CI and these machines);
#   - Debian packages unpacked, not installed (dpkg -x), where installing would register a service or
#     clash with a Docker installation (containerd);
#   - Go tools (go-tools.tsv), built once into $PLATFORM_TOOLS_DIR/bin (default ~/.cache/platform-tools/bin),
#     two builds at a time, each rebuilt only when what pins it changes.
# Anywhere else, a missing tool stops the run with one line naming it and how to get it.
#
#   scripts/tools/install.sh                    install what is missing
#   scripts/tools/install.sh podman minio       only these (a command of the maps below or of go-tools.tsv)
#   scripts/tools/install.sh --system           only the Debian packages (a minute or two when none is there)
#   scripts/tools/install.sh --group delivery   only the Go tools of one group of go-tools.tsv (npm test builds
#                                               them in the background: scripts/tools/background.sh)
#   scripts/tools/install.sh --check [tool...]  only report what is missing (exit 1 if anything is)
set -euo pipefail

TOOLS_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS_DIR="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}"
TOOLS_BIN="$TOOLS_DIR/bin"
check_only=false system=true go_tools=true go_group=""
case "${1:-}" in
  --check) check_only=true; shift ;;
  --system) go_tools=false; shift ;;
  --group)
    [ -n "${2:-}" ] || { echo "usage: $0 --group <group of go-tools.tsv>" >&2; exit 2; }
    system=false go_group=$2; shift 2
    ;;
esac
# The tools asked for (none: all of them).
declare -A wanted_tools=()
for tool in "$@"; do wanted_tools[$tool]=1; done
is_wanted() { [ ${#wanted_tools[@]} -eq 0 ] || [ -n "${wanted_tools[$1]:-}" ]; }

# command (or absolute path) -> Debian package that provides it
declare -A debian_packages=(
  [nginx]=nginx-light
  # counts the local ingress's access log for the edge SLI
  [mtail]=mtail
  [prometheus]=prometheus
  [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  # the local stack's store for auth's login and registration counters
  [redis-server]=redis-server
  [amtool]=prometheus-alertmanager
  [age]=age
  [openssl]=openssl
  [runc]=runc
  [iptables]=iptables
  [/usr/lib/cni/bridge]=containernetworking-plugins
  [nft]=nftables
  [tini]=tini
  # scripts/images/build.sh: container images without a Docker engine
  [podman]=podman
  [mmdebstrap]=mmdebstrap
  # scripts/promote: does a release's image exist in its registry?
  [skopeo]=skopeo
)

# directory under $TOOLS_DIR/debs -> the Debian packages unpacked into it (pinned by the Debian release)
declare -A unpacked_packages=(
  [containerd]="containerd"
  [ipset]="ipset libipset13"
  # the local cluster's release registry (gitops mode); installed, it would register a service
  [docker-registry]="docker-registry"
)

missing=()

have() { if [[ "$1" == /* ]]; then [ -e "$1" ]; else command -v "$1" >/dev/null 2>&1; fi; }
can_apt() { ! $check_only && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_updated=false
apt_update() {
  $apt_updated && return
  apt-get update -qq >/dev/null
  apt_updated=true
}

install_debian_packages() {
  local wanted=()
  for probe in "${!debian_packages[@]}"; do
    is_wanted "$probe" || continue
    have "$probe" || wanted+=("${debian_packages[$probe]}")
  done
  [ ${#wanted[@]} -eq 0 ] && return
  mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" | sort -u)
  if can_apt; then
    echo "tools: installing Debian packages: ${wanted[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_update
    apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
    return
  fi
  for package in "${wanted[@]}"; do missing+=("$package: install the Debian package (sudo apt-get install $package)"); done
}

unpack_debian_packages() {
  for name in "${!unpacked_packages[@]}"; do
    is_wanted "$name" || continue
    local target="$TOOLS_DIR/debs/$name" packages="${unpacked_packages[$name]}"
    [ "$(cat "$target/.packages" 2>/dev/null)" = "$packages" ] && continue
    if ! can_apt; then missing+=("$name: unpack the Debian packages $packages into $target (apt-get download; dpkg -x)"); continue; fi
    echo "tools: unpacking Debian packages into $target: $packages"
    apt_update
    local download
    download=$(mktemp -d)
    # shellcheck disable=SC2086 # a list of package names
    (cd "$download" && apt-get download -qq -o APT::Sandbox::User=root $packages >/dev/null)
    rm -rf "$target"
    mkdir -p "$target"
    for deb in "$download"/*.deb; do dpkg -x "$deb" "$target"; done
    rm -rf "$download"
    echo "$packages" >"$target/.packages"
  done
}

# The cache key of a Go tool: its package@version, or for a wrapper module what the module pins.
tool_stamp() {
  local source=$1 package=$2
  if [ "$source" = go-install ]; then echo "$package"; return; fi
  echo "$source $package $(cat "$TOOLS_SRC/$source"/{go.mod,go.sum,tools.go} "$TOOLS_SRC/$source/ldflags" 2>/dev/null | sha256sum | cut -c1-16)"
}

# Builds one job's commands (each "command source package"), one after the other: a module's share its build cache.
build_job() {
  local job=$1; shift
  local log="$TOOLS_DIR/logs/${job//\//-}.log" started=$SECONDS commands=()
  for entry in "$@"; do commands+=("${entry%% *}"); done
  echo "tools: building ${commands[*]} (log: $log)"
  (
    export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
    for entry in "$@"; do
      local command source package
      read -r command source package <<<"$entry"
      # (errexit does not apply here: this subshell's status is tested, so each step says how it failed.)
      if [ "$source" = go-install ]; then
        GOBIN="$TOOLS_BIN" go install "$package" || exit 1
      else
        # auto: a module whose go.mod names a newer toolchain (Argo CD) gets it from the module proxy.
        (cd "$TOOLS_SRC/$source" && GOTOOLCHAIN=auto go build -trimpath -ldflags="-s -w $(cat ldflags 2>/dev/null)" -o "$TOOLS_BIN/$command" "$package") || exit 1
      fi
      tool_stamp "$source" "$package" >"$TOOLS_BIN/.$command.version" || exit 1
    done
  ) >"$log" 2>&1 || { echo "tools: building ${commands[*]} FAILED; the end of $log:" >&2; tail -n 20 "$log" >&2; return 1; }
  echo "tools: built ${commands[*]} in $((SECONDS - started)) s"
}

install_go_tools() {
  mkdir -p "$TOOLS_BIN" "$TOOLS_DIR/logs"
  # A job: one go-install tool, or every command of one wrapper module (they share its build).
  declare -A entries=() minutes=()
  local total=0
  while read -r command source package cost group; do
    [[ -z "$command" || "$command" == \#* ]] && continue
    is_wanted "$command" || continue
    [ -z "$go_group" ] || [ "$group" = "$go_group" ] || continue
    if [ -x "$TOOLS_BIN/$command" ] && [ "$(cat "$TOOLS_BIN/.$command.version" 2>/dev/null)" = "$(tool_stamp "$source" "$package")" ]; then continue; fi
    if $check_only; then missing+=("$command: build it with scripts/tools/install.sh ($source $package)"); continue; fi
    local job=$source
    [ "$source" = go-install ] && job=$command
    entries[$job]+="$command $source $package"$'\n'
    minutes[$job]=$(( ${minutes[$job]:-0} + cost ))
    total=$((total + cost))
  done <"$TOOLS_SRC/go-tools.tsv"
  [ ${#entries[@]} -eq 0 ] && return
  if ! command -v go >/dev/null 2>&1; then missing+=("go: needed to build ${!entries[*]}; install Go from your package manager or https://go.dev/dl"); return; fi
  echo "tools: ${#entries[@]} Go builds to make, about $(( (total + 1) / 2 )) minutes on 2 cores the first time; later runs reuse them"
  # Two at a time, the longest first: go build already spreads one build over the cores, but its links and
  # the packages that others wait on run alone.
  local running=0 failed=0 job
  while read -r _ job; do
    if [ $running -ge 2 ]; then wait -n || failed=1; running=$((running - 1)); fi
    mapfile -t job_entries < <(printf '%s' "${entries[$job]}")
    build_job "$job" "${job_entries[@]}" &
    running=$((running + 1))
  done < <(for job in "${!entries[@]}"; do echo "${minutes[$job]} $job"; done | sort -rn)
  while [ $running -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
  [ $failed -eq 0 ] || missing+=("a Go tool failed to build (above)")
}

for tool in "${!wanted_tools[@]}"; do
  [ -n "${debian_packages[$tool]:-}${unpacked_packages[$tool]:-}" ] || grep -q "^$tool " "$TOOLS_SRC/go-tools.tsv" ||
    { echo "tools: unknown tool $tool" >&2; exit 2; }
done
if [ -n "$go_group" ] && ! awk -v group="$go_group" '$5 == group {found = 1} END {exit !found}' "$TOOLS_SRC/go-tools.tsv"; then
  echo "tools: no Go tool is in the group $go_group (scripts/tools/go-tools.tsv)" >&2
  exit 2
fi
if $system; then
  install_debian_packages
  unpack_debian_packages
fi
if $go_tools; then install_go_tools; fi

if [ ${#missing[@]} -gt 0 ]; then
  printf 'missing tool: %s\n' "${missing[@]}" >&2
  exit 1
fi
