// mnops rules | explain RULE — what each rule checks, its severity per tier, how to fix and waive it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadEcosystem } from '../../ecosystem-load/load-ecosystem.js';
import { DEFAULT_SETTINGS, effectiveSettings, type PolicySettingsSpec } from '../../policy/settings.js';
import { allRuleViews, findRule, formatExplanation, formatRuleList, ruleView } from '../../rules/describe.js';
import { EXIT, rootFromOption, writeStdout } from '../context.js';
import type { RegisterCommand } from './index.js';

/** The repository's settings (for its tier severities); only the governance folder is read. */
async function repositorySettings(rootFlag: string | undefined): Promise<PolicySettingsSpec> {
  const root = await rootFromOption(rootFlag);
  const governance = path.join(root, 'ecosystem/governance');
  if (!existsSync(governance)) return DEFAULT_SETTINGS;
  const { ecosystem } = await loadEcosystem(root, { paths: [governance], cacheDir: false });
  return effectiveSettings(ecosystem);
}

export const registerRules: RegisterCommand = (program: Command, setExit) => {
  program
    .command('rules')
    .description('list every rule: what it checks, its severity per tier, whether a PolicyException waives it')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--root <dir>', 'repository root whose settings give the tier severities (default: git top level)')
    .action(async (flags: { format: 'text' | 'json'; root?: string }) => {
      const views = allRuleViews(await repositorySettings(flags.root));
      await writeStdout(flags.format === 'json' ? `${JSON.stringify({ rules: views }, null, 2)}\n` : formatRuleList(views));
      setExit(EXIT.OK);
    });
  program
    .command('explain')
    .description('explain one rule: what it checks, an example finding, the fix and how to waive it')
    .argument('<rule>', 'rule id, e.g. resources.ceiling (mnops rules lists them)')
    .option('--root <dir>', 'repository root whose settings give the tier severities (default: git top level)')
    .action(async (id: string, flags: { root?: string }) => {
      const doc = findRule(id);
      await writeStdout(formatExplanation(doc, ruleView(doc, await repositorySettings(flags.root))));
      setExit(EXIT.OK);
    });
};
