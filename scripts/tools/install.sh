#!/usr/bin/env bash
# Installs the system tools the test suites need, idempotently and cached:
#   - Debian packages, with apt-get, when running as root on Debian (CI and these machines);
#   - Go tools, built once with `go install` into $PLATFORM_TOOLS_DIR/bin (default
#     ~/.cache/platform-tools/bin) and rebuilt only when their pinned version changes.
# Anywhere else, a missing tool stops the run with one line naming it and how to get it.
#
#   scripts/tools/install.sh                    install what the test suites need and is missing
#   scripts/tools/install.sh podman coredns     only these tools (any command named in the maps below)
#   scripts/tools/install.sh --check [tool...]  only report what is missing (exit 1 if anything is)
set -euo pipefail

TOOLS_DIR="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}"
TOOLS_BIN="$TOOLS_DIR/bin"
check_only=false
[ "${1:-}" = "--check" ] && { check_only=true; shift; }

# command -> Debian package that provides it
declare -A debian_packages=(
  [nginx]=nginx-light
  [prometheus]=prometheus
  [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [amtool]=prometheus-alertmanager
  [age]=age
  # scripts/images/build.sh: container images without a Docker engine
  [podman]=podman
  [mmdebstrap]=mmdebstrap
)

# command -> Go package@version (pinned; the version is part of the cache key)
declare -A go_tools=(
  [minio]=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
  [helm]=helm.sh/helm/v3/cmd/helm@v3.22.0
  [kubeconform]=github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0
  [sops]=github.com/getsops/sops/v3/cmd/sops@v3.13.3
  [starlark]=go.starlark.net/cmd/starlark@v0.0.0-20260908191801-89a6a09411d5
  [gitleaks]=github.com/zricethezav/gitleaks/v8@v8.30.1
  [coredns]=github.com/coredns/coredns@v1.15.0
)

# Installed only when named: the image build needs them, the test suites do not.
declare -A on_request=([podman]=1 [mmdebstrap]=1 [coredns]=1)

# The commands to install: those named, else every one not on request.
declare -A selected=()
if [ $# -gt 0 ]; then
  for command in "$@"; do
    [ -n "${debian_packages[$command]:-}${go_tools[$command]:-}" ] || { echo "tools: unknown tool $command" >&2; exit 2; }
    selected[$command]=1
  done
else
  for command in "${!debian_packages[@]}" "${!go_tools[@]}"; do
    [ -n "${on_request[$command]:-}" ] || selected[$command]=1
  done
fi

missing=()

install_debian_packages() {
  local wanted=()
  for command in "${!debian_packages[@]}"; do
    [ -n "${selected[$command]:-}" ] || continue
    command -v "$command" >/dev/null 2>&1 || wanted+=("${debian_packages[$command]}")
  done
  [ ${#wanted[@]} -eq 0 ] && return
  mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" | sort -u)
  if ! $check_only && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "tools: installing Debian packages: ${wanted[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
    return
  fi
  for package in "${wanted[@]}"; do missing+=("$package: install the Debian package (sudo apt-get install $package)"); done
}

install_go_tools() {
  mkdir -p "$TOOLS_BIN"
  for command in "${!go_tools[@]}"; do
    [ -n "${selected[$command]:-}" ] || continue
    local package="${go_tools[$command]}"
    local stamp="$TOOLS_BIN/.$command.version"
    if [ -x "$TOOLS_BIN/$command" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$package" ]; then continue; fi
    if $check_only; then missing+=("$command: build it with scripts/tools/install.sh (go install $package)"); continue; fi
    if ! command -v go >/dev/null 2>&1; then missing+=("go: needed to build $command; install Go from your package manager or https://go.dev/dl"); continue; fi
    echo "tools: building $command ($package) into $TOOLS_BIN; the first build takes minutes, later runs reuse it"
    local started=$SECONDS
    GOBIN="$TOOLS_BIN" GOFLAGS="${GOFLAGS:-} -buildvcs=false" go install "$package"
    echo "$package" >"$stamp"
    echo "tools: built $command in $((SECONDS - started)) s"
  done
}

install_debian_packages
install_go_tools

if [ ${#missing[@]} -gt 0 ]; then
  printf 'missing tool: %s\n' "${missing[@]}" >&2
  exit 1
fi
