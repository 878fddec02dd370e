#!/usr/bin/env bash
# Idempotent setup for a fresh machine (and CI): npm packages, the pinned OPA, the pinned
# workflow linters (zizmor from PyPI, actionlint with go install), Node 24 for the action
# bundles' tests (from npm, cached outside the clone), the build.
# Everything the README's two commands need is installed here, nothing by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

OPA_VERSION="$(node -p "require('./package.json').mnops.opaVersion")"
# The workflow linters test/github/workflows.test.ts runs (it reads these two pins).
ZIZMOR_VERSION="1.32.0"
ACTIONLINT_VERSION="v1.7.12"
log() { printf 'setup: %s\n' "$*" >&2; }

# 1. npm packages, exactly as the lockfile says — when node_modules is missing or older than
#    the lockfile. `npm ci` never writes package-lock.json (npm install would, and a fresh
#    clone would then start dirty): a lockfile it refuses is an error to fix and commit.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages (npm ci)"
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    log "npm ci refused package-lock.json (out of date with package.json?): run npm install, commit the lockfile, and run setup again"
    exit 2
  fi
fi

# 2. OPA, pinned — reused when the right version is already on the machine.
# go_tool CHECK NAME MODULE@VERSION [CANDIDATE]: prints the path of a binary CHECK accepts,
# building it with go install when none is there; fails when Go is missing too.
go_tool() {
  local check="$1" name="$2" module="$3" candidate
  for candidate in "${4:-}" "$name" "$(go env GOPATH 2>/dev/null)/bin/$name" "$HOME/go/bin/$name"; do
    if [ -n "$candidate" ] && "$check" "$candidate"; then command -v "$candidate"; return 0; fi
  done
  command -v go >/dev/null 2>&1 || return 1
  log "building $module with go install (first run only)"
  go install "$module" >&2
  printf '%s\n' "$(go env GOPATH)/bin/$name"
}
opa_ok() { command -v "$1" >/dev/null 2>&1 && "$1" version 2>/dev/null | grep -q "^Version: ${OPA_VERSION#v}$"; }
OPA_BIN="$(go_tool opa_ok opa "github.com/open-policy-agent/opa@${OPA_VERSION}" "${OPA:-}" || true)"
[ -n "$OPA_BIN" ] || log "OPA ${OPA_VERSION} is missing and Go is not installed: policy builds and opa test will be unavailable"
if [ -n "$OPA_BIN" ]; then
  mkdir -p node_modules/.bin
  ln -sf "$OPA_BIN" node_modules/.bin/opa
fi

# 3. The workflow linters, pinned — reused when the right version is already there, and
#    linked into node_modules/.bin like OPA. A missing one is said here; the workflow tests
#    then fail saying how to install it.
zizmor_ok() { command -v "$1" >/dev/null 2>&1 && [ "$("$1" --version 2>/dev/null)" = "zizmor ${ZIZMOR_VERSION}" ]; }
zizmor_candidates() {
  printf '%s\n' "${ZIZMOR:-}" zizmor "$HOME/.local/bin/zizmor"
  if command -v python3 >/dev/null 2>&1; then
    printf '%s\n' "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null)/zizmor"
    printf '%s\n' "$(python3 -m site --user-base 2>/dev/null)/bin/zizmor"
  fi
}
find_zizmor() {
  local candidate
  while IFS= read -r candidate; do
    if [ -n "$candidate" ] && zizmor_ok "$candidate"; then command -v "$candidate"; return 0; fi
  done < <(zizmor_candidates)
  return 1
}
ZIZMOR_BIN="$(find_zizmor || true)"
if [ -z "$ZIZMOR_BIN" ]; then
  if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
    log "installing zizmor ${ZIZMOR_VERSION} with pip (first run only)"
    pip_install() { python3 -m pip install --quiet --disable-pip-version-check --no-input "$@" "zizmor==${ZIZMOR_VERSION}"; }
    # A system Python may refuse a global install (PEP 668): then the user's site, then past the marker.
    pip_install 2>/dev/null || pip_install --user 2>/dev/null || pip_install --user --break-system-packages || true
    hash -r
    ZIZMOR_BIN="$(find_zizmor || true)"
  fi
  [ -n "$ZIZMOR_BIN" ] || log "zizmor ${ZIZMOR_VERSION} is missing and pip could not install it: the workflow tests will fail"
fi

actionlint_ok() { command -v "$1" >/dev/null 2>&1 && [ "$("$1" -version 2>/dev/null | head -n 1)" = "${ACTIONLINT_VERSION}" ]; }
ACTIONLINT_BIN="$(go_tool actionlint_ok actionlint "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}" "${ACTIONLINT:-}" || true)"
[ -n "$ACTIONLINT_BIN" ] || log "actionlint ${ACTIONLINT_VERSION} is missing and Go is not installed: the workflow tests will fail"

mkdir -p node_modules/.bin
[ -z "$ZIZMOR_BIN" ] || ln -sf "$ZIZMOR_BIN" node_modules/.bin/zizmor
[ -z "$ACTIONLINT_BIN" ] || ln -sf "$ACTIONLINT_BIN" node_modules/.bin/actionlint

# 3b. Node 24, pinned: the runtime actions/*/action.yml declare (node24), on which the bundle
#     tests run the bundles. The npm package node-<os>-<cpu> ships the binary: fetched once
#     into a cache outside the clone (nothing in the clone changes), linked as node_modules/.bin/node24.
NODE24_VERSION="24.22.3"
node24_ok() { [ -x "$1" ] && [ "$("$1" --version 2>/dev/null)" = "v${NODE24_VERSION}" ]; }
NODE24_PACKAGE="$(node -p '`node-${process.platform}-${process.arch}`')@${NODE24_VERSION}"
NODE24_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/mnops/${NODE24_PACKAGE}"
# Where the binary lands is the package's own "bin" entry, not a guessed path.
node24_bin() { node -e 'const p = require.resolve(process.argv[1] + "/package.json", { paths: [process.argv[2]] }); console.log(require("path").join(p, "..", require(p).bin.node))' "${NODE24_PACKAGE%@*}" "$NODE24_CACHE" 2>/dev/null; }
NODE24_BIN="$(node24_bin || true)"
if ! node24_ok "$NODE24_BIN"; then
  log "fetching ${NODE24_PACKAGE} for the bundle tests (first run only)"
  npm install --prefix "$NODE24_CACHE" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$NODE24_PACKAGE" >&2 || true
  NODE24_BIN="$(node24_bin || true)"
fi
if node24_ok "$NODE24_BIN"; then ln -sf "$NODE24_BIN" node_modules/.bin/node24
else log "Node ${NODE24_VERSION} could not be fetched (${NODE24_PACKAGE}): the bundle tests will fail"; fi

# 3c. zsh and fish, so the completion tests run each shell's script rather than skip it.
if ! command -v zsh >/dev/null 2>&1 || ! command -v fish >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing zsh and fish for the completion tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q zsh fish >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q zsh fish >/dev/null 2>&1; } \
      || log "zsh or fish could not be installed: their completion tests are skipped"
  else log "zsh or fish is missing (installing needs root and apt-get): their completion tests are skipped"; fi
fi

# 4. A real Docker engine (a one-node swarm) and the local base image, for reconcile and its tests.
if [ "${MNOPS_SKIP_ENGINE:-}" != 1 ]; then
  bash scripts/engine.sh
fi

# 5. Build the CLI.
log "building"
npm run --silent build
