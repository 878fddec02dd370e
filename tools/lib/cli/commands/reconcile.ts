// mnops plan --env ENV | apply --env ENV — reconcile an environment with its engine.
import { Option, type Command } from 'commander';
import pc from 'picocolors';
import { providerFor } from '../../provider/registry.js';
import { applyPlan, type ApplyEvent } from '../../reconcile/apply.js';
import { desiredState } from '../../reconcile/desired.js';
import { pendingActions, plan, type Plan } from '../../reconcile/plan.js';
import { loadEcosystem } from '../../validate/load-ecosystem.js';
import { EXIT, rootFromOption, useColor, writeStdout } from '../context.js';
import type { RegisterCommand } from './index.js';

const SYMBOL = { create: '+', update: '~', delete: '-', noop: ' ' } as const;

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
    lines.push(paint[a.kind](`${SYMBOL[a.kind]} ${a.platform} ${version}  (${what})`));
    if (a.kind === 'update') for (const ch of a.changes) lines.push(`    ${ch.field}: ${show(ch.from)} → ${show(ch.to)}`);
  }
  const n = (k: string) => p.actions.filter((a) => a.kind === k).length;
  lines.push('', `Plan for ${p.environment}: ${n('create')} to create, ${n('update')} to update, ${n('delete')} to delete, ${n('noop')} unchanged.`);
  return `${lines.join('\n')}\n`;
}

async function planFor(root: string, env: string, only?: string[]) {
  const { ecosystem } = await loadEcosystem(root);
  const provider = providerFor(ecosystem, env);
  await provider.ping();
  const desired = desiredState(ecosystem, env, { env: process.env, root }, only);
  const actual = (await provider.list(env)).filter((a) => !only || only.includes(a.platform));
  return { provider, plan: plan(env, desired, actual), unenforceable: desired.flatMap((d) => provider.unenforceable(d)) };
}

export const registerReconcile: RegisterCommand = (program: Command, setExit) => {
  program
    .command('plan')
    .description('what apply would create, update and delete, field by field')
    .requiredOption('--env <name>', 'environment')
    .option('--root <dir>', 'repository root (default: git top level)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: { env: string; root?: string; format: 'text' | 'json' }) => {
      const { plan: p, unenforceable } = await planFor(await rootFromOption(flags.root), flags.env);
      if (flags.format === 'json') {
        const actions = p.actions.map((a) => ({ kind: a.kind, platform: a.platform, version: 'desired' in a ? a.desired.version : a.actual.version, changes: a.changes }));
        await writeStdout(`${JSON.stringify({ environment: p.environment, actions, unenforceable }, null, 2)}\n`);
      } else {
        const warn = unenforceable.map((u) => `! ${u.platform}: ${u.field} cannot be enforced here — ${u.reason}`);
        await writeStdout(formatPlan(p, useColor()) + (warn.length ? `\n${warn.join('\n')}\n` : ''));
      }
      setExit(pendingActions(p).length > 0 ? EXIT.FOUND : EXIT.OK);
    });

  program
    .command('apply')
    .description('reconcile an environment: dependency order, parallel, health-gated replacement')
    .requiredOption('--env <name>', 'environment')
    .option('--platform <name...>', 'only these platforms')
    .option('--concurrency <n>', 'platforms replaced at once', '4')
    .option('--timeout <seconds>', 'how long a new workload may take to become healthy', '60')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--root <dir>', 'repository root (default: git top level)')
    .action(async (flags: { env: string; platform?: string[]; concurrency: string; timeout: string; dryRun?: boolean; root?: string }) => {
      const { provider, plan: p } = await planFor(await rootFromOption(flags.root), flags.env, flags.platform);
      const color = useColor();
      await writeStdout(formatPlan(p, color));
      if (flags.dryRun || pendingActions(p).length === 0) return setExit(EXIT.OK);
      const c = pc.createColors(color);
      const onEvent = (e: ApplyEvent) => {
        const mark = { start: c.dim('…'), done: c.green('✔'), failed: c.red('✖'), skipped: c.yellow('-') }[e.phase];
        process.stdout.write(`${mark} ${e.platform} ${e.phase === 'start' ? `${e.kind}…` : e.phase}${e.message ? `: ${e.message}` : ''}\n`);
      };
      const results = await applyPlan(p, provider, { concurrency: Number(flags.concurrency), healthTimeoutMs: Number(flags.timeout) * 1000, onEvent });
      const failed = results.filter((r) => r.status === 'failed' || r.status === 'skipped');
      await writeStdout(failed.length ? `\n${failed.length} platform(s) not applied; the previous versions keep running.\n` : `\nApplied ${flags.env}.\n`);
      setExit(failed.length ? EXIT.FOUND : EXIT.OK);
    });
};

export const registerTeardown: RegisterCommand = (program: Command, setExit) => {
  program
    .command('teardown')
    .description('remove every managed workload, secret and network of an environment from its engine')
    .requiredOption('--env <name>', 'environment')
    .option('--root <dir>', 'repository root (default: git top level)')
    .action(async (flags: { env: string; root?: string }) => {
      const { ecosystem } = await loadEcosystem(await rootFromOption(flags.root));
      const provider = providerFor(ecosystem, flags.env);
      await provider.ping();
      await provider.teardown(flags.env);
      await writeStdout(`removed everything mnops manages in ${flags.env}\n`);
      setExit(EXIT.OK);
    });
};
