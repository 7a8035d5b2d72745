#!/usr/bin/env bash
# `npm run dev`: installs what is missing, then runs the local stack (scripts/local-stack/cli.ts).
#   - npm packages, Node 24 and the Prisma client (scripts/lib/bootstrap.sh), always;
#   - nginx, mtail, Prometheus, Alertmanager, Redis (Debian packages) and MinIO (built into ~/.cache/platform-tools), the
#     way npm test installs them (scripts/tools/install.sh), unless --minimal asks for the data stores and
#     services only. Where the installer cannot install (not root, not Debian) it names what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

minimal=false
for argument in "$@"; do
  case "$argument" in
    --minimal) minimal=true ;;
    -h | --help) minimal=true ;; # nothing to install to print the usage
  esac
done
if ! $minimal; then
  bash scripts/tools/install.sh nginx mtail prometheus prometheus-alertmanager redis-server minio mc || {
    echo "npm run dev: install the tools named above, or run npm run dev -- --minimal (no ingress, no monitoring)" >&2
    exit 1
  }
fi
export PATH="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}/bin:$PATH"

source scripts/lib/bootstrap.sh
bootstrap
exec "$NODE" scripts/local-stack/cli.ts "$@"
