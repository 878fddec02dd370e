#!/usr/bin/env node
// deploy_platform PLATFORM --to ENV — the seed's promotion tool: `mnops deploy`.
import { runCli } from './lib/cli/run.js';

process.exitCode = await runCli(['deploy', ...process.argv.slice(2)]);
