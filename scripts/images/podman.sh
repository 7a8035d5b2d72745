#!/usr/bin/env bash
# podman as scripts/images/build.sh and its tests run it: the settings this machine needs (images/containers.conf)
# and a storage of its own under the tools cache, apart from any other podman on the host. Use it to look at the
# images too:
#   scripts/images/podman.sh images
#   scripts/images/podman.sh run --rm --network host docker.io/platform/api:dev node --version
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
state="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}/images/podman"
mkdir -p "$state/tmp"
# TMPDIR: podman's and buildah's scratch space (image copies, RUN cache mounts) stays in the same place.
export CONTAINERS_CONF="$root/images/containers.conf" TMPDIR="$state/tmp"
exec podman --root "$state/storage" --runroot "$state/run" --tmpdir "$state/run/libpod" --storage-driver overlay "$@"
