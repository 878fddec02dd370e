// mnops policy build | test — compile the Rego to the committed WASM bundle; run opa test.
import path from 'node:path';
import type { Command } from 'commander';
import { buildBundle, testPolicies } from '../../policy/index.js';
import { BUNDLE_DIR } from '../../policy/bundle.js';
import { EXIT, rootFromOption, writeStdout } from '../context.js';
import { numberOption } from '../flags.js';
import type { RegisterCommand } from './index.js';

export const registerPolicy: RegisterCommand = (program: Command, setExit) => {
  const policy = program.command('policy').description('build and test the Rego policies');
  policy
    .command('build')
    .description(`compile policies/ to ${BUNDLE_DIR}/policy.wasm with the pinned OPA`)
    .option('--root <dir>', 'repository root (default: git top level)')
    .action(async (flags: { root?: string }) => {
      const root = await rootFromOption(flags.root);
      const meta = await buildBundle(root);
      const users = meta.userPackages.map((u) => `user.${u.name} (${u.rules.join(', ')})`);
      await writeStdout(
        `built ${path.join(BUNDLE_DIR, 'policy.wasm')} with OPA ${meta.opaVersion}\n` +
          `  entrypoints: ${meta.entrypoints.join(', ')}\n` +
          (users.length ? `  user policies: ${users.join(', ')}\n` : ''),
      );
      setExit(EXIT.OK);
    });
  policy
    .command('test')
    .description('run opa test with coverage over the built-in and user policies')
    .option('--root <dir>', 'repository root (default: git top level)')
    .addOption(numberOption('--min-coverage <percent>', 'fail below this coverage (0 to 100)', 'percent', '90'))
    .action(async (flags: { root?: string; minCoverage: number }) => {
      const root = await rootFromOption(flags.root);
      const r = await testPolicies(root);
      const min = flags.minCoverage;
      await writeStdout(`${r.output.trimEnd()}\ncoverage: ${r.coverage.toFixed(1)}% (minimum ${min}%)\n`);
      setExit(r.failed > 0 || r.coverage < min ? EXIT.FOUND : EXIT.OK);
    });
};
