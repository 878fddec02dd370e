#!/usr/bin/env node
// detect_drift [--env ENV...] [--heal] — the seed's drift tool: `mnops drift`.
import { runCli } from './lib/cli/run.js';

process.exitCode = await runCli(['drift', ...process.argv.slice(2)]);
