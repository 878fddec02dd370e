// mnops audit log | verify | append | lock — the git audit trail.
import { Option, type Command } from 'commander';
import pc from 'picocolors';
import { acquireLease, AUDIT_ACTIONS, AuditTrail, breakLease, currentLease, releaseLease, verifyTrail, type AuditAction, type AuditOutcome, type AuditRecord } from '../../audit/index.js';
import { UsageError } from '../../repo/errors.js';
import { cliActor, EXIT, rootFromOption, useColor, writeStdout } from '../context.js';
import type { RegisterCommand } from './index.js';

interface TrailFlags {
  root?: string;
  branch?: string;
  remote?: string | false;
}

function trailOptions(cmd: Command): Command {
  return cmd
    .option('--root <dir>', 'repository root (default: git top level)')
    .option('--branch <name>', 'audit branch (default: $MNOPS_AUDIT_BRANCH or mnops/audit)')
    .option('--remote <name>', 'remote to publish to (default: origin when it exists)')
    .option('--no-remote', 'keep the trail local');
}

async function openTrail(flags: TrailFlags): Promise<AuditTrail> {
  return AuditTrail.open({ root: await rootFromOption(flags.root), branch: flags.branch, remote: flags.remote });
}

function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new UsageError(`--ttl "${text}" is not a duration`, 'write it like 30m, 2h or 90s');
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function parseTime(text: string, flag: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`${flag} "${text}" is not a date`, 'write it as YYYY-MM-DD or an RFC 3339 time');
  return t;
}

function table(records: AuditRecord[], color: boolean): string {
  const c = pc.createColors(color);
  const header = ['time', 'action', 'environment', 'platform', 'versions', 'outcome', 'actor', 'seq'];
  const rows = records.map((r) => [
    r.time.replace(/\.\d{3}Z$/, 'Z'),
    r.action,
    r.environment,
    r.platform ?? '',
    r.fromVersion || r.toVersion ? `${r.fromVersion ?? '∅'} → ${r.toVersion ?? '∅'}` : '',
    r.outcome,
    r.actor,
    `#${r.seq}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  const paint = (r: AuditRecord, text: string) => (r.outcome === 'failure' || r.outcome === 'denied' || r.outcome === 'broken' ? c.red(text) : r.outcome === 'success' ? c.green(text) : text);
  return [c.bold(line(header)), ...rows.map((row, i) => paint(records[i]!, line(row)))].join('\n') + '\n';
}

export const registerAudit: RegisterCommand = (program: Command, setExit) => {
  const audit = program.command('audit').description('the append-only, hash-chained audit trail in git');

  trailOptions(audit.command('log').description('records, newest first'))
    .option('--env <name>', 'only this environment')
    .option('--platform <name>', 'only this platform')
    .addOption(new Option('--action <action>', 'only this action').choices([...AUDIT_ACTIONS]))
    .option('--since <date>', 'only records at or after this time')
    .option('--until <date>', 'only records before this time')
    .option('--limit <n>', 'at most this many records')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: TrailFlags & { env?: string; platform?: string; action?: AuditAction; since?: string; until?: string; limit?: string; format: 'text' | 'json' }) => {
      const since = flags.since ? parseTime(flags.since, '--since') : -Infinity;
      const until = flags.until ? parseTime(flags.until, '--until') : Infinity;
      const trail = await openTrail(flags);
      let records = (await trail.records())
        .map((c) => c.record)
        .filter((r) => (!flags.env || r.environment === flags.env) && (!flags.platform || r.platform === flags.platform) && (!flags.action || r.action === flags.action))
        .filter((r) => Date.parse(r.time) >= since && Date.parse(r.time) < until)
        .reverse();
      if (flags.limit) records = records.slice(0, Number(flags.limit));
      await writeStdout(flags.format === 'json' ? `${JSON.stringify(records, null, 2)}\n` : records.length ? table(records, useColor()) : 'no audit records match\n');
      setExit(EXIT.OK);
    });

  trailOptions(audit.command('verify').description('walk the chain; exit 1 on any changed, removed, inserted, reordered or truncated record'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: TrailFlags & { format: 'text' | 'json' }) => {
      const report = await verifyTrail(await openTrail(flags));
      if (flags.format === 'json') await writeStdout(`${JSON.stringify(report, null, 2)}\n`);
      else {
        const c = pc.createColors(useColor());
        const lines = report.breaks.map((b) => `${c.red('✖')} ${b.kind.padEnd(13)} ${b.message}`);
        lines.push(
          report.breaks.length === 0
            ? `${c.green('✔')} ${report.records} records, chain intact (${report.checkpoints} checkpoints)`
            : `${c.red('✖')} ${report.breaks.length} break${report.breaks.length === 1 ? '' : 's'} in ${report.records} records`,
        );
        await writeStdout(`${lines.join('\n')}\n`);
      }
      setExit(report.breaks.length > 0 ? EXIT.FOUND : EXIT.OK);
    });

  trailOptions(audit.command('append').description('record an action by hand (ids make retries safe)'))
    .addOption(new Option('--action <action>', 'what happened').choices([...AUDIT_ACTIONS]).makeOptionMandatory())
    .requiredOption('--env <name>', 'environment')
    .requiredOption('--outcome <outcome>', 'success | failure | denied | started')
    .option('--platform <name>', 'platform')
    .option('--from-version <v>', 'version before')
    .option('--to-version <v>', 'version after')
    .option('--reason <text>', 'why')
    .option('--commit <sha>', 'manifest commit acted on')
    .option('--id <id>', 'idempotency key (default: a new one)')
    .option('--actor <name>', 'who (default: $GITHUB_ACTOR or $USER)')
    .action(async (flags: TrailFlags & { action: AuditAction; env: string; outcome: AuditOutcome; platform?: string; fromVersion?: string; toVersion?: string; reason?: string; commit?: string; id?: string; actor?: string }) => {
      const trail = await openTrail(flags);
      const r = await trail.append({
        id: flags.id,
        actor: flags.actor ?? cliActor(),
        action: flags.action,
        environment: flags.env,
        platform: flags.platform,
        fromVersion: flags.fromVersion,
        toVersion: flags.toVersion,
        outcome: flags.outcome,
        reason: flags.reason,
        commit: flags.commit,
      });
      await writeStdout(r.duplicate ? `already recorded (${flags.id})\n` : `recorded #${r.record?.seq} ${r.record?.id}${r.retries ? ` after ${r.retries} retries` : ''}\n`);
      setExit(EXIT.OK);
    });

  const lock = audit.command('lock').description('environment leases, recorded in the trail');
  trailOptions(lock.command('acquire').description('take the lease on an environment (exit 1 when someone holds it)'))
    .requiredOption('--env <name>', 'environment')
    .option('--holder <name>', 'who holds it (default: $GITHUB_ACTOR or $USER)')
    .option('--ttl <duration>', 'lease duration, e.g. 30m', '30m')
    .option('--reason <text>', 'why')
    .action(async (flags: TrailFlags & { env: string; holder?: string; ttl: string; reason?: string }) => {
      const r = await acquireLease(await openTrail(flags), {
        environment: flags.env,
        holder: flags.holder ?? cliActor(),
        ttlMs: parseDuration(flags.ttl),
        reason: flags.reason,
      });
      if (r.acquired) await writeStdout(`lease ${r.lease.id} on ${flags.env} until ${r.lease.expiresAt}\n`);
      else await writeStdout(`${flags.env} is held by ${r.heldBy.holder} (lease ${r.heldBy.id}) until ${r.heldBy.expiresAt}\n`);
      setExit(r.acquired ? EXIT.OK : EXIT.FOUND);
    });
  trailOptions(lock.command('release').description('give back a lease you hold'))
    .requiredOption('--env <name>', 'environment')
    .requiredOption('--lease <id>', 'lease id')
    .action(async (flags: TrailFlags & { env: string; lease: string }) => {
      await releaseLease(await openTrail(flags), { environment: flags.env, leaseId: flags.lease, actor: cliActor() });
      await writeStdout(`released ${flags.lease} on ${flags.env}\n`);
      setExit(EXIT.OK);
    });
  trailOptions(lock.command('break').description("clear someone else's lease (e.g. after a crashed deploy); the reason is recorded"))
    .requiredOption('--env <name>', 'environment')
    .requiredOption('--lease <id>', 'lease id')
    .requiredOption('--reason <text>', 'why it is safe to break')
    .action(async (flags: TrailFlags & { env: string; lease: string; reason: string }) => {
      await breakLease(await openTrail(flags), { environment: flags.env, leaseId: flags.lease, actor: cliActor(), reason: flags.reason });
      await writeStdout(`broke ${flags.lease} on ${flags.env}\n`);
      setExit(EXIT.OK);
    });
  trailOptions(lock.command('status').description('who holds the lease on an environment'))
    .requiredOption('--env <name>', 'environment')
    .action(async (flags: TrailFlags & { env: string }) => {
      const records = (await (await openTrail(flags)).records()).map((c) => c.record);
      const live = currentLease(records, flags.env, new Date());
      await writeStdout(live ? `${flags.env} is held by ${live.holder} (lease ${live.id}) until ${live.expiresAt}\n` : `${flags.env} is free\n`);
      setExit(EXIT.OK);
    });
};
