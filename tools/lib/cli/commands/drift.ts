// mnops drift [--env ENV...] [--format text|json|markdown] [--heal] (= tools/detect_drift).
import { Option, type Command } from 'commander';
import { UsageError } from '../../repo/errors.js';
import { cliActor, confirmPruneCount, EXIT, OUTPUT_HELP, rootFromOption, writeReport } from '../context.js';
import { numberOption } from '../flags.js';
import { createProgress } from '../progress.js';
import type { RegisterCommand } from './index.js';

// The engine side is imported when a command runs: `validate` and `--help` do not pay for it.
const drifts = () => import('../../drift/index.js');

interface DriftFlags {
  env?: string[];
  format: 'text' | 'json' | 'markdown';
  heal?: boolean;
  prune?: boolean;
  confirmPrune?: number;
  record: boolean;
  dryRun?: boolean;
  output?: string;
  timeout: number;
  root?: string;
  now?: string;
}

export const registerDrift: RegisterCommand = (program: Command, setExit) => {
  program
    .command('drift')
    .description('compare what git declares with what the engines run, field by field (= tools/detect_drift)')
    .option('--env <name...>', 'environments (default: every one on docker or swarm)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--heal', 'reconcile the drifted platforms through apply (health-gated) and audit each heal')
    .option('--prune', 'with --heal: also delete workloads no manifest declares (otherwise reported only)')
    .addOption(numberOption('--confirm-prune <n>', 'with --prune in staging and prod, past maxPrunePercent: the exact number of deletions', 'count'))
    .option('--no-record', 'read only: append no drift or heal records to the audit trail')
    .option('--dry-run', 'report the drift (what --heal would reconcile); heal nothing and record nothing')
    .option('--output <file>', OUTPUT_HELP)
    .addOption(numberOption('--timeout <duration>', 'health timeout of a heal (seconds, or 30s, 5m)', 'duration', '60s'))
    .option('--root <dir>', 'repository root (default: git top level)')
    .addOption(new Option('--now <time>', 'the time of the check (RFC 3339); default $MNOPS_NOW or now').hideHelp())
    .action(async (flags: DriftFlags) => {
      const fixed = flags.now ?? process.env.MNOPS_NOW;
      if (flags.prune && !flags.heal) throw new UsageError('--prune deletes while healing: it needs --heal', 'add --heal, or drop --prune');
      const confirm = confirmPruneCount(flags);
      const progress = createProgress();
      const root = await rootFromOption(flags.root);
      const report = await (await drifts()).detectDrift({
        root,
        ...(flags.env ? { environments: flags.env } : {}),
        heal: flags.heal === true && !flags.dryRun,
        prune: flags.prune === true && !flags.dryRun,
        ...(confirm !== undefined ? { confirmPrune: confirm } : {}),
        record: flags.record && !flags.dryRun,
        actor: cliActor(root),
        healthTimeoutMs: flags.timeout,
        ...(fixed ? { now: () => new Date(fixed) } : {}),
        // An environment's last status is its line in the report: printed there, once.
        onProgress: (u) => (u.final && !u.subject.includes('/') ? progress.done(u.subject) : u.final ? progress.finish(u.subject, u.status) : progress.update(u.subject, u.status)),
      }).finally(() => progress.end());
      const { formatMarkdown, formatText } = await drifts();
      await writeReport(flags.output, (color) => (flags.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : flags.format === 'markdown' ? formatMarkdown(report) : formatText(report, color)));
      if (flags.dryRun) process.stderr.write(`dry run: nothing was ${flags.heal ? 'healed or ' : ''}recorded\n`);
      setExit(([EXIT.OK, EXIT.FOUND, EXIT.FAILED] as const)[(await drifts()).exitCodeOf(report)]);
    });
};
