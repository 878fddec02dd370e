#!/usr/bin/env node
// enforce — the seed's governance enforcement: validate everything, warnings fail too.
import { runCli } from './lib/cli/run.js';

process.exitCode = await runCli(['validate', '--fail-on', 'warning', ...process.argv.slice(2)]);
