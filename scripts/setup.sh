#!/usr/bin/env bash
# Idempotent setup for a fresh machine (and CI): npm packages, the pinned OPA, the build.
# Everything the README's two commands need is installed here, nothing by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

OPA_VERSION="$(node -p "require('./package.json').mnops.opaVersion")"
log() { printf 'setup: %s\n' "$*" >&2; }

# 1. npm packages — reinstall only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  # npm 11 can write a lockfile without other platforms' optional packages, which its own
  # `npm ci` then refuses; fall back to a lock-respecting `npm install` in that case.
  npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error
fi

# 2. OPA, pinned — reused when the right version is already on the machine.
opa_ok() { command -v "$1" >/dev/null 2>&1 && "$1" version 2>/dev/null | grep -q "^Version: ${OPA_VERSION#v}$"; }
OPA_BIN=""
for candidate in "${OPA:-}" opa "$(go env GOPATH 2>/dev/null)/bin/opa" "$HOME/go/bin/opa"; do
  if [ -n "$candidate" ] && opa_ok "$candidate"; then OPA_BIN="$(command -v "$candidate")"; break; fi
done
if [ -z "$OPA_BIN" ]; then
  if command -v go >/dev/null 2>&1; then
    log "building OPA ${OPA_VERSION} with go install (first run only)"
    go install "github.com/open-policy-agent/opa@${OPA_VERSION}"
    OPA_BIN="$(go env GOPATH)/bin/opa"
  else
    log "OPA ${OPA_VERSION} is missing and Go is not installed: policy builds and opa test will be unavailable"
  fi
fi
if [ -n "$OPA_BIN" ]; then
  mkdir -p node_modules/.bin
  ln -sf "$OPA_BIN" node_modules/.bin/opa
fi

# 3. A real Docker engine (a one-node swarm) and the local base image, for reconcile and its tests.
if [ "${MNOPS_SKIP_ENGINE:-}" != 1 ]; then
  bash scripts/engine.sh
fi

# 4. Build the CLI.
log "building"
npm run --silent build
