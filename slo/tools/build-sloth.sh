#!/usr/bin/env bash
# Builds Sloth (the SLO rule generator) into $PLATFORM_TOOLS_DIR/bin (default ~/.cache/platform-tools/bin),
# cached by version: a rebuild happens only when SLOTH_VERSION changes.
#
# Sloth's module has no installable version for a plain `go install ...@version` here, so it is built the
# way the Go module proxy serves it: `go get -tool` inside a throw-away module, then `go install`.
set -euo pipefail

SLOTH_VERSION="${SLOTH_VERSION:-v0.16.0}"
TOOLS_DIR="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}"
TOOLS_BIN="$TOOLS_DIR/bin"

# The binary is stamped with its version (as Sloth's own release build does), which is also the cache key.
if [ -x "$TOOLS_BIN/sloth" ] && [ "$("$TOOLS_BIN/sloth" version 2>/dev/null)" = "$SLOTH_VERSION" ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "missing tool: sloth $SLOTH_VERSION: build it with bash slo/tools/build-sloth.sh" >&2
  exit 1
fi
command -v go >/dev/null 2>&1 || { echo "missing tool: go (needed to build sloth)" >&2; exit 1; }

mkdir -p "$TOOLS_BIN" "$TOOLS_DIR/src"
module_dir="$TOOLS_DIR/src/sloth-$SLOTH_VERSION"
rm -rf "$module_dir"
mkdir -p "$module_dir"
echo "tools: building sloth $SLOTH_VERSION into $TOOLS_BIN; the first build takes minutes, later runs reuse it"
started=$SECONDS
(
  cd "$module_dir"
  go mod init platform-tools/sloth >/dev/null 2>&1
  go get -tool "github.com/slok/sloth/cmd/sloth@$SLOTH_VERSION"
  GOBIN="$TOOLS_BIN" GOFLAGS="${GOFLAGS:-} -buildvcs=false" go install \
    -ldflags "-X github.com/slok/sloth/internal/info.Version=$SLOTH_VERSION" github.com/slok/sloth/cmd/sloth
)
echo "tools: built sloth in $((SECONDS - started)) s"
