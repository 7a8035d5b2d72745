#!/usr/bin/env bash
# `npm run dev`: installs what is missing (npm packages, the Prisma client), then runs the local stack.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/bootstrap.sh
bootstrap
exec "$NODE" scripts/local-stack/cli.ts "$@"
