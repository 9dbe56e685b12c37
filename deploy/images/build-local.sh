#!/usr/bin/env bash
# Builds the Glassbox image on a machine that cannot pull images: a Debian bookworm root filesystem made by
# debootstrap (minbase, from the mirror apt already uses), plus the Node 24 binary of the `node` npm package
# and this machine's npm, imported into podman as the local base; then deploy/images/Containerfile on top.
#
#   deploy/images/build-local.sh [tag]          (default tag: localhost/glassbox:dev)
#
# The base image is cached (localhost/glassbox-base:bookworm-node<version>); set REBUILD_BASE=1 to redo it.
# Needs: root, podman, debootstrap, `npm ci` done in the repository (node_modules/node holds Node 24).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TAG="${1:-localhost/glassbox:dev}"
cd "$ROOT"

NODE_BIN="$(readlink -f node_modules/node/bin/node 2>/dev/null || true)"
[ -x "$NODE_BIN" ] || { echo "build-local: no Node binary in node_modules (run npm ci first)" >&2; exit 1; }
NODE_VERSION="$("$NODE_BIN" --version)"
case "$NODE_VERSION" in v24.*) ;; *) echo "build-local: need Node 24, node_modules has $NODE_VERSION" >&2; exit 1 ;; esac
NPM_DIR="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
[ -f "$NPM_DIR/package.json" ] || { echo "build-local: cannot find npm's folder" >&2; exit 1; }
BASE="localhost/glassbox-base:bookworm-node${NODE_VERSION#v}"
MIRROR="${DEBIAN_MIRROR:-$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | grep -Eo '^(deb|URIs:)[[:space:]]+(\[[^]]*\][[:space:]]+)?https?://[^[:space:]]+' | grep -v security \
  | grep -Eo 'https?://[^[:space:]]+' | head -n1 || true)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

if [ -n "${REBUILD_BASE:-}" ] || ! podman image exists "$BASE"; then
  echo "== base image $BASE (debootstrap minbase bookworm from $MIRROR, Node $NODE_VERSION)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  debootstrap --variant=minbase bookworm "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
  install -m 0755 "$NODE_BIN" "$work/rootfs/usr/local/bin/node"
  mkdir -p "$work/rootfs/usr/local/lib/node_modules"
  cp -a "$NPM_DIR" "$work/rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
  # A slimmer base: no apt lists, docs or caches.
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin \
         "$work/rootfs/usr/share/doc" "$work/rootfs/usr/share/man" "$work/rootfs/usr/share/locale"
  tar -C "$work/rootfs" -c . | podman import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$BASE" >/dev/null
  rm -rf "$work"
  trap - EXIT
fi

echo "== image $TAG (FROM $BASE)"
# Host network for the build: `npm ci` inside reaches the registry the way this machine does. Docker format:
# OCI images carry no HEALTHCHECK.
# The CA bundle of this machine as a build secret, for a registry reached through a TLS-inspecting proxy.
CA_BUNDLE="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
SECRET=()
[ -s "$CA_BUNDLE" ] && SECRET=(--secret "id=npm_ca,src=$CA_BUNDLE")
podman build --format docker --network host --pull=never "${SECRET[@]}" \
  --build-arg "BASE_IMAGE=$BASE" \
  --build-arg "REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
  --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -f deploy/images/Containerfile -t "$TAG" .
podman image inspect "$TAG" --format '== {{.Id}} size {{.Size}} bytes'
