#!/usr/bin/env node
// validate_platform ENV_DIR — validate one environment directory (the seed's
// `validate_platform ecosystem/platform-cloud/dev`): `mnops validate ENV_DIR`.
import { runCli } from './lib/cli/run.js';

process.exitCode = await runCli(['validate', ...process.argv.slice(2)]);
