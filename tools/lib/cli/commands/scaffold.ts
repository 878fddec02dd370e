// mnops init [DIR], mnops new platform NAME, mnops new environment NAME --from ENV --tier T.
import { createInterface } from 'node:readline';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadEcosystem } from '../../ecosystem-load/load-ecosystem.js';
import { UsageError } from '../../repo/errors.js';
import { initEcosystem } from '../../scaffold/init.js';
import { checkNewEnvironment, isNewEnvironmentTier, newEnvironment, NEW_ENVIRONMENT_TIERS, type NewEnvironmentTier } from '../../scaffold/new-environment.js';
import { newPlatform } from '../../scaffold/new-platform.js';
import { EXIT, rootFromOption, writeStdout } from '../context.js';
import type { RegisterCommand } from './index.js';

export const registerInit: RegisterCommand = (program: Command, setExit) => {
  program
    .command('init')
    .description('scaffold a new ecosystem: one platform in dev, staging and prod, settings, namespace, workflows')
    .argument('[dir]', 'folder to scaffold into (default: the current folder); never overwrites a file')
    .option('--platform <name>', 'name of the first platform', 'example-platform')
    .option('--namespace <name>', 'its namespace', 'apps')
    .option('--owner <team>', 'the team that owns it', 'platform-team')
    .option('--project <id>', "the project id of its engine objects (default: from the folder's name)")
    .action(async (dir: string | undefined, flags: { platform: string; namespace: string; owner: string; project?: string }) => {
      const result = initEcosystem(dir ?? '.', { platform: flags.platform, namespace: flags.namespace, owner: flags.owner, ...(flags.project !== undefined ? { project: flags.project } : {}) });
      const where = path.relative(process.cwd(), result.dir) || '.';
      const cd = where === '.' ? '' : `cd ${where} && `;
      await writeStdout(
        `✔ wrote ${result.files.length} files into ${where}\n` +
          `  next: ${cd}git init && npm install && npx mnops validate\n`,
      );
      setExit(EXIT.OK);
    });
};

/** --tier, or asked for on a terminal; without a terminal it is required. */
async function tierFrom(flag: string | undefined, name: string): Promise<NewEnvironmentTier> {
  if (flag !== undefined) return flag as NewEnvironmentTier; // commander checked the choice
  if (!process.stdin.isTTY) throw new UsageError('--tier is required when mnops is not run on a terminal', `pass --tier ${NEW_ENVIRONMENT_TIERS.join('|')}`);
  const ask = () => process.stderr.write(`Tier of ${name} (${NEW_ENVIRONMENT_TIERS.join(', ')}): `);
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    ask();
    // Lines are read as they come (one typed ahead is not lost), until a tier or the end of input.
    for await (const line of rl) {
      const answer = line.trim();
      if (isNewEnvironmentTier(answer)) return answer;
      process.stderr.write(`  "${answer}" is not a tier: answer ${NEW_ENVIRONMENT_TIERS.join(', ')}\n`);
      ask();
    }
  } finally {
    rl.close();
  }
  throw new UsageError(`no tier given for ${name}`, `pass --tier ${NEW_ENVIRONMENT_TIERS.join('|')}`);
}

export const registerNew: RegisterCommand = (program: Command, setExit) => {
  const group = program.command('new').description('add a platform or an environment, with correct manifests');
  group
    .command('platform')
    .description('add platforms/NAME/platform.yaml to the catalog')
    .argument('<name>', 'platform name (e.g. billing-platform)')
    .option('--namespace <name>', 'its namespace (default: the only one there is)')
    .option('--owner <team>', "the team that owns it (default: the namespace's first owner)")
    .option('--extends <template>', 'a PlatformTemplate to extend (default: base-service, when there is one)')
    .option('--root <dir>', 'repository root (default: git top level)')
    .action(async (name: string, flags: { namespace?: string; owner?: string; extends?: string; root?: string }) => {
      const root = await rootFromOption(flags.root);
      const { ecosystem } = await loadEcosystem(root);
      const r = newPlatform(ecosystem, name, flags);
      await writeStdout(
        `✔ wrote ${r.file} (namespace ${r.namespace}, owner ${r.owner}${r.extends ? `, extends ${r.extends}` : ''})\n` +
          `  next: set its image, then run it in an environment — add "- name: ${name}" with "version: 0.1.0" to spec.platforms of ecosystem/platform-cloud/dev/platform.yaml\n`,
      );
      setExit(EXIT.OK);
    });
  group
    .command('environment')
    .description("copy an environment's folder with every name rewritten and the tier set")
    .argument('<name>', 'new environment name (e.g. customer-globex)')
    .requiredOption('--from <env>', 'the environment to copy')
    .addOption(new Option('--tier <tier>', 'tier of the copy (asked for on a terminal; required otherwise)').choices(NEW_ENVIRONMENT_TIERS))
    .option('--root <dir>', 'repository root (default: git top level)')
    .action(async (name: string, flags: { from: string; tier?: string; root?: string }) => {
      const root = await rootFromOption(flags.root);
      const { ecosystem } = await loadEcosystem(root);
      // The names are checked before the question, so a refused name asks nothing.
      checkNewEnvironment(ecosystem, name, flags.from);
      const tier = await tierFrom(flags.tier, name);
      const r = newEnvironment(ecosystem, name, flags.from, tier);
      await writeStdout(
        `✔ wrote ${r.folder}/ (${r.files.map((f) => path.posix.basename(f)).join(', ')}): ${tier} tier, copied from ${flags.from}${r.promotesFrom ? `, promotes from ${r.promotesFrom}` : ''}\n` +
          `  next: npx mnops validate ${r.folder}\n`,
      );
      setExit(EXIT.OK);
    });
};
