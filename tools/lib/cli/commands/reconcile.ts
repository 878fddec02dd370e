// mnops plan --env ENV | apply --env ENV | teardown --env ENV — reconcile an environment with its engine.
import { Option, type Command } from 'commander';
import pc from 'picocolors';
import type { ApplyEvent } from '../../reconcile/apply.js';
import type { Plan } from '../../reconcile/plan.js';
import { cliActor, confirmPruneCount, EXIT, rootFromOption, useColor, writeStdout } from '../context.js';
import { numberOption } from '../flags.js';
import { createProgress } from '../progress.js';
import { unenforceableText } from '../unenforceable.js';
import type { RegisterCommand } from './index.js';

// The engine side is imported when a command runs: `validate` and `--help` do not pay for it.
const environments = () => import('../../reconcile/environment.js');
const teardowns = () => import('../teardown.js');
const plans = () => import('../../reconcile/plan.js');

const SYMBOL = { create: '+', update: '~', delete: '-', noop: ' ' } as const;
const VERB = { create: 'creating', update: 'updating', delete: 'deleting', noop: 'checking' } as const;

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function formatPlan(p: Plan, color: boolean): string {
  const c = pc.createColors(color);
  const paint = { create: c.green, update: c.yellow, delete: c.red, noop: c.dim } as const;
  const lines: string[] = [];
  for (const a of p.actions) {
    const what = a.kind === 'noop' ? 'unchanged' : a.kind;
    const version = 'desired' in a ? a.desired.version : a.actual.version;
    const tint = a.held ? c.dim : paint[a.kind];
    lines.push(tint(`${SYMBOL[a.kind]} ${a.platform} ${version}  (${what}${a.held ? ` held back: ${a.held}` : ''})`));
    if (a.kind === 'update') for (const ch of a.changes) lines.push(`    ${ch.field}: ${show(ch.from)} → ${show(ch.to)}`);
  }
  const n = (k: string) => p.actions.filter((a) => a.kind === k && !a.held).length;
  const held = p.actions.filter((a) => a.held).length;
  lines.push('', `Plan for ${p.environment}: ${n('create')} to create, ${n('update')} to update, ${n('delete')} to delete, ${n('noop')} unchanged${held ? `, ${held} held back` : ''}.`);
  return `${lines.join('\n')}\n`;
}

interface PlanFlags {
  env: string;
  root?: string;
  prune?: boolean;
  confirmPrune?: number;
  verbose?: boolean;
}

export const registerReconcile: RegisterCommand = (program: Command, setExit) => {
  program
    .command('plan')
    .description('what apply would create, update and delete, field by field')
    .requiredOption('--env <name>', 'environment')
    .option('--prune', 'plan the deletions as apply --prune would take them')
    .addOption(numberOption('--confirm-prune <n>', 'with --prune in staging and prod: the exact number of deletions', 'count'))
    .option('--verbose', 'list every setting the engine cannot enforce (default: one summary line)')
    .option('--root <dir>', 'repository root (default: git top level)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: PlanFlags & { format: 'text' | 'json' }) => {
      const root = await rootFromOption(flags.root);
      const { plan: p, unenforceable, provider } = await (await environments()).planEnvironment({ root, environment: flags.env, prune: flags.prune, confirmPrune: confirmPruneCount(flags) });
      if (flags.format === 'json') {
        const actions = p.actions.map((a) => ({
          kind: a.kind,
          platform: a.platform,
          version: 'desired' in a ? a.desired.version : a.actual.version,
          changes: a.changes,
          ...(a.held ? { held: a.held } : {}),
          ...(a.kind === 'delete' ? { owned: a.owned ?? false } : {}),
        }));
        await writeStdout(`${JSON.stringify({ environment: p.environment, actions, unenforceable }, null, 2)}\n`);
      } else {
        const warn = unenforceableText(unenforceable, provider.name, flags.verbose === true);
        await writeStdout(formatPlan(p, useColor()) + (warn ? `\n${warn}` : ''));
      }
      setExit((await plans()).differences(p).length > 0 ? EXIT.FOUND : EXIT.OK);
    });

  program
    .command('apply')
    .description('reconcile an environment: dependency order, parallel, health-gated replacement; deletes only with --prune')
    .requiredOption('--env <name>', 'environment')
    .option('--platform <name...>', 'only these platforms')
    .option('--prune', 'also delete workloads no manifest declares any more')
    .addOption(numberOption('--confirm-prune <n>', 'with --prune in staging and prod, past maxPrunePercent: the exact number of deletions', 'count'))
    .addOption(numberOption('--concurrency <n>', 'platforms replaced at once', 'positive', '4'))
    .addOption(numberOption('--timeout <duration>', 'how long a new workload may take to become healthy (seconds, or 30s, 5m)', 'duration', '60s'))
    .option('--no-record', 'append no apply record (with its inventory) to the audit trail')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--verbose', 'list every setting the engine cannot enforce (default: one summary line)')
    .option('--root <dir>', 'repository root (default: git top level)')
    .action(async (flags: PlanFlags & { platform?: string[]; concurrency: number; timeout: number; dryRun?: boolean; record: boolean }) => {
      const color = useColor();
      const c = pc.createColors(color);
      const progress = createProgress();
      const onEvent = (e: ApplyEvent) => {
        if (e.phase === 'start') progress.update(e.platform, `${VERB[e.kind]}…`);
        else if (e.phase === 'done') progress.finish(e.platform, e.kind === 'delete' ? 'deleted' : 'healthy');
        else progress.finish(e.platform, `${e.phase}: ${e.message ?? ''}`);
      };
      const root = await rootFromOption(flags.root);
      const outcome = await (await environments()).applyEnvironment({
        root,
        environment: flags.env,
        only: flags.platform,
        prune: flags.prune,
        confirmPrune: confirmPruneCount(flags),
        actor: cliActor(root),
        concurrency: flags.concurrency,
        healthTimeoutMs: flags.timeout,
        dryRun: flags.dryRun,
        record: flags.record,
        onPlan: (planned) => {
          const warn = unenforceableText(planned.unenforceable, planned.provider.name, flags.verbose === true);
          return writeStdout(formatPlan(planned.plan, color) + (warn ? `\n${warn}` : ''));
        },
        onEvent,
      }).finally(() => progress.end());
      if (flags.dryRun) return setExit(EXIT.OK);
      const failed = outcome.results.filter((r) => r.status === 'failed' || r.status === 'skipped');
      const held = outcome.planned.plan.actions.filter((a) => a.held);
      // Progress (stderr) told how each went; the report keeps what needs attention.
      const lines: string[] = failed.map((r) => (r.status === 'failed' ? c.red(`✖ ${r.platform} failed: ${r.error ?? ''}`) : c.yellow(`- ${r.platform} skipped: ${r.error ?? ''}`)));
      if (failed.length) lines.push('');
      if (failed.length) lines.push(`${failed.length} platform(s) not applied; the previous versions keep running.`);
      if (held.length) lines.push(`${held.length} change(s) held back (see the plan above); nothing else was left out.`);
      if (!failed.length && (await plans()).pendingActions(outcome.planned.plan).length) lines.push(`Applied ${flags.env}.`);
      else if (!failed.length && !held.length) lines.push(`${flags.env} is up to date.`);
      await writeStdout(`\n${lines.join('\n')}\n`);
      setExit(failed.length || held.length ? EXIT.FOUND : EXIT.OK);
    });
};

export const registerTeardown: RegisterCommand = (program: Command, setExit) => {
  program
    .command('teardown')
    .description('remove every managed workload, secret and network of an environment from its engine')
    .requiredOption('--env <name>', 'environment')
    .option('--dry-run', 'list what would be removed and change nothing')
    .option('--root <dir>', 'repository root (default: git top level)')
    .action(async (flags: { env: string; dryRun?: boolean; root?: string }) => {
      const { teardownEnvironment } = await teardowns();
      const root = await rootFromOption(flags.root);
      await writeStdout(await teardownEnvironment({ root, environment: flags.env, actor: cliActor(root), dryRun: flags.dryRun }));
      setExit(EXIT.OK);
    });
};
