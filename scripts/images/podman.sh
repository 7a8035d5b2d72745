#!/usr/bin/env bash
# podman as scripts/images/build.sh and its tests run it: the settings this machine needs (images/containers.conf)
# and a storage of its own under the tools cache, apart from any other podman on the host. Use it to look at the
# images too:
#   scripts/images/podman.sh images
#   scripts/images/podman.sh run --rm --network host docker.io/platform/api:dev node --version
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
state="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}/images/podman"
# The run root is volatile state (locks, mounts), so it lives in /tmp, not the cache, under a short name that says
# which storage it serves: podman refuses a run root longer than 50 characters, as one in a long $HOME would be.
runroot="/tmp/platform-podman-$(printf '%s' "$state" | sha256sum | cut -c1-12)"
mkdir -p "$state/tmp"
# The libpod database remembers the run root it was made with and refuses another. It records containers only, which
# builds do not keep, so one made with another run root (the cache's own, before) is dropped, never the images.
if [[ "$(cat "$state/runroot" 2>/dev/null)" != "$runroot" ]]; then
  rm -f "$state/storage/libpod/bolt_state.db"
  printf '%s\n' "$runroot" >"$state/runroot"
fi
# TMPDIR: podman's and buildah's scratch space (image copies, RUN cache mounts) stays in the same place.
export CONTAINERS_CONF="$root/images/containers.conf" TMPDIR="$state/tmp"
exec podman --root "$state/storage" --runroot "$runroot" --tmpdir "$runroot/libpod" --storage-driver overlay "$@"
