#!/usr/bin/env node
// mnops — the CLI. All behaviour lives in lib/; this file only runs it.
import { runCli } from './lib/cli/run.js';

process.exitCode = await runCli(process.argv.slice(2));
