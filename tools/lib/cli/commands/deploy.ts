// mnops deploy PLATFORM --env ENV (alias --to) | rollback PLATFORM --env ENV — promotion through the gate.
import type { Command } from 'commander';
import pc from 'picocolors';
import type { DeployOutcome, DeployRequest } from '../../promotion/deploy.js';
import { cliActor, EXIT, rootFromOption, useColor, writeStdout } from '../context.js';
import { numberOption, targetEnvironment } from '../flags.js';
import { createProgress } from '../progress.js';
import type { RegisterCommand } from './index.js';

// The engine side is imported when a command runs: `validate` and `--help` do not pay for it.
const deploys = () => import('../../promotion/deploy.js');

export function formatOutcome(o: DeployOutcome, color: boolean): string {
  const c = pc.createColors(color);
  const head = `${o.platform} ${o.fromVersion} → ${o.toVersion} in ${o.environment}`;
  const lines: string[] = [];
  switch (o.status) {
    case 'deployed':
      lines.push(`${c.green('✔')} deployed ${head}${o.commit ? ` (commit ${o.commit.slice(0, 12)}${o.published ? ', pushed' : ''})` : ''}`);
      break;
    case 'unchanged':
      lines.push(`${c.green('✔')} ${head}: already running, nothing to do`);
      break;
    case 'dry-run':
      lines.push(`${o.decision && !o.decision.allow ? c.red('✖') : c.green('✔')} dry run: ${head} would be ${o.decision && !o.decision.allow ? 'denied' : 'allowed'}`);
      break;
    case 'denied':
      lines.push(`${c.red('✖')} promotion denied: ${head}`);
      break;
    case 'failed':
      if (o.rolledBack !== undefined) {
        lines.push(`${c.red('✖')} deploy failed: ${head}: ${o.error ?? ''}`);
        lines.push(o.rolledBack ? '  the rollout was undone: the previous version runs again and git is unchanged' : '  the rollout could not be undone: git does not declare what runs (see the audit trail)');
        break;
      }
      lines.push(`${c.red('✖')} rollout failed: ${head}: ${o.error ?? ''}`);
      if (o.revertCommit) lines.push(`  reverted the manifest commit (${o.revertCommit.slice(0, 12)}); the previous version keeps running`);
      break;
  }
  for (const r of o.decision?.reasons ?? []) lines.push(`  - ${r}`);
  for (const r of o.decision?.overrides ?? []) lines.push(`  ! override: ${r}`);
  if (o.audit) lines.push(c.dim(`  audit #${o.audit.seq} ${o.audit.id}`));
  return `${lines.join('\n')}\n`;
}

const EXIT_OF: Record<DeployOutcome['status'], number> = { deployed: EXIT.OK, unchanged: EXIT.OK, 'dry-run': EXIT.OK, denied: EXIT.FOUND, failed: EXIT.FOUND };

async function run(req: Omit<DeployRequest, 'root' | 'actor'> & { root?: string }, setExit: (c: 0 | 1 | 2) => void): Promise<void> {
  const color = useColor();
  const progress = createProgress();
  let said = false;
  const onProgress = (message: string) => {
    said = true;
    progress.update(req.platform, message);
  };
  const root = await rootFromOption(req.root);
  const outcome = await (await deploys()).deployPlatform({ ...req, root, actor: cliActor(root), onProgress })
    .then((o) => {
      // The line's last word is the outcome; the report below says the rest.
      if (said) progress.finish(req.platform, o.status);
      return o;
    })
    .finally(() => progress.end());
  await writeStdout(formatOutcome(outcome, color));
  setExit(outcome.status === 'dry-run' && outcome.decision && !outcome.decision.allow ? EXIT.FOUND : (EXIT_OF[outcome.status] as 0 | 1 | 2));
}

export const registerDeploy: RegisterCommand = (program: Command, setExit) => {
  program
    .command('deploy')
    .description('promote a platform into an environment through the promotion gate (= tools/deploy_platform)')
    .argument('<platform>', 'platform name')
    .option('--env <env>', 'target environment (required; --to is an alias)')
    .option('--to <env>', 'alias of --env')
    .option('--version <v>', 'version (default: what runs in the source environment)')
    .option('--approved-by <user...>', 'approvals, for local use (actions/deploy takes them from the GitHub environment\'s reviews, never from typed input)')
    .option('--emergency <reason>', 'deploy through an open freeze window (recorded)')
    .addOption(numberOption('--timeout <duration>', 'health timeout of the rollout (seconds, or 30s, 5m)', 'duration', '120s'))
    .option('--dry-run', 'ask the gate and change nothing')
    .option('--no-push', 'keep the manifest commit local (by default it is pushed to the audit trail\'s remote before a record names it)')
    .option('--root <dir>', 'repository root (default: git top level)')
    .action(async (platform: string, flags: { env?: string; to?: string; version?: string; approvedBy?: string[]; emergency?: string; timeout: number; dryRun?: boolean; push: boolean; root?: string }) => {
      await run(
        {
          root: flags.root,
          platform,
          to: targetEnvironment('deploy', flags),
          version: flags.version,
          approvals: flags.approvedBy,
          emergency: flags.emergency,
          dryRun: flags.dryRun,
          healthTimeoutMs: flags.timeout,
          ...(flags.push ? {} : { publish: false as const }),
        },
        setExit,
      );
    });
  program
    .command('rollback')
    .description('restore a previous version of a platform in an environment')
    .argument('<platform>', 'platform name')
    .requiredOption('--env <env>', 'environment')
    .option('--to-version <v>', 'version to restore (default: the one before the last deploy, from the audit trail)')
    .option('--approved-by <user...>', 'approvals, for local use (actions/deploy takes them from the GitHub environment\'s reviews, never from typed input)')
    .addOption(numberOption('--timeout <duration>', 'health timeout of the rollout (seconds, or 30s, 5m)', 'duration', '120s'))
    .option('--dry-run', 'ask the gate and change nothing')
    .option('--no-push', 'keep the manifest commit local (by default it is pushed to the audit trail\'s remote before a record names it)')
    .option('--root <dir>', 'repository root (default: git top level)')
    .action(async (platform: string, flags: { env: string; toVersion?: string; approvedBy?: string[]; timeout: number; dryRun?: boolean; push: boolean; root?: string }) => {
      const root = await rootFromOption(flags.root);
      const version = flags.toVersion ?? (await (await deploys()).previousVersion(root, platform, flags.env));
      await run(
        { root, platform, to: flags.env, version, approvals: flags.approvedBy, rollback: true, dryRun: flags.dryRun, healthTimeoutMs: flags.timeout, ...(flags.push ? {} : { publish: false as const }) },
        setExit,
      );
    });
};
