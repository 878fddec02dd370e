#!/usr/bin/env bash
# Makes sure a real Docker Engine answers (installing Debian's docker.io and starting dockerd
# as root when none does), that it is a one-node Swarm manager, and that the local base
# image exists. No registry is reachable: the image is a busybox root filesystem imported.
set -euo pipefail
log() { printf 'engine: %s\n' "$*" >&2; }

engine_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if ! engine_up; then
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v busybox >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then log "no Docker engine answers and installing one needs root"; exit 2; fi
    log "installing docker.io and busybox-static"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q docker.io busybox-static >/dev/null
  fi
  if ! engine_up; then
    log "starting dockerd"
    nohup dockerd >/tmp/mnops-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do engine_up && break; sleep 1; done
    engine_up || { log "dockerd did not start; see /tmp/mnops-dockerd.log"; exit 2; }
  fi
fi

if [ "$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" != "active" ]; then
  log "initialising a one-node swarm"
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
fi

BASE=mnops/base:busybox
if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  command -v busybox >/dev/null 2>&1 || { log "busybox is missing: apt-get install busybox-static"; exit 2; }
  log "building $BASE from busybox"
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/srv/www" "$root/tmp" "$root/etc"
  cp "$(command -v busybox)" "$root/bin/busybox"
  for applet in sh httpd wget cat echo sleep ls env test true false kill ps; do ln -s busybox "$root/bin/$applet"; done
  echo ok >"$root/srv/www/health"
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/srv:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\napp:x:1000:\n' >"$root/etc/group"
  chmod 1777 "$root/tmp"
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - "$BASE" >/dev/null
fi

# The example platforms run `mnops/base:<version>`: tag the base image for every version the
# manifests name (tags are free; nothing is pulled).
cd "$(dirname "$0")/.."
for v in $(grep -rhoE '^\s*(- )?version: "?[0-9]+\.[0-9]+\.[0-9]+[^" ]*"?' ecosystem/platform-cloud platforms 2>/dev/null | sed -E 's/.*version: "?([^"]+)"?/\1/' | sort -u); do
  docker image inspect "mnops/base:$v" >/dev/null 2>&1 || docker tag "$BASE" "mnops/base:$v"
done
