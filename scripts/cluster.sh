#!/usr/bin/env bash
# `npm run cluster`: provisions what the local cluster needs (npm packages, the Go tools and Debian
# packages of scripts/tools/install.sh, the images of scripts/images/build.sh; all cached), then starts
# it in the background. `npm run cluster -- --down` stops it and restores the host; --help for more.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/bootstrap.sh
bootstrap
case " $* " in
  *" --down "* | *" --status "* | *" --help "* | *" -h "*) ;;
  *)
    bash scripts/tools/install.sh
    bash scripts/images/build.sh
    ;;
esac
exec "$NODE" scripts/cluster/cli.ts "$@"
