#!/usr/bin/env bash
# The main job on the built-in example ecosystem: validate it, then deploy the dev
# environment to the local Docker engine and show every platform running healthy.
# Tear it down with: npm run teardown
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node dist/tools/mnops.js validate
# The example's dev secrets come from the runner's environment; demo values if unset.
export MNOPS_EXAMPLE_SIGNING_SECRET="${MNOPS_EXAMPLE_SIGNING_SECRET:-example-only-signing-secret}"
export MNOPS_WEBHOOK_SIGNATURE="${MNOPS_WEBHOOK_SIGNATURE:-example-only-webhook-signature}"
# apply records its inventory in the audit trail: kept in this clone, never pushed.
export MNOPS_AUDIT_REMOTE=none
node dist/tools/mnops.js apply --env dev --concurrency 4
echo
echo "dev after apply (unchanged = running and healthy):"
node dist/tools/mnops.js plan --env dev
echo
echo "drift of dev against git (a fresh apply shows none):"
node dist/tools/mnops.js drift --env dev --no-record
echo
echo "next: promote a platform dev → staging through the gate — the tour in README.md (Getting started)"
