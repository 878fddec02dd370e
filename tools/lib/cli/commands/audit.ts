// mnops audit log | verify | append | keygen | lock — the git audit trail.
import { Option, type Command } from 'commander';
import pc from 'picocolors';
import {
  acquireLease,
  AUDIT_ACTIONS,
  AUDIT_OUTCOMES,
  AuditTrail,
  breakLease,
  currentLease,
  generateSigningKey,
  KEY_ENV,
  releaseLease,
  tipBreaks,
  verifyTrail,
  type AuditAction,
  type AuditOutcome,
  type AuditRecord,
  type ExternalHead,
  type VerifyReport,
} from '../../audit/index.js';
import { createGitHubClient } from '../../github/client.js';
import { recordedHeads } from '../../github/deployment.js';
import { githubRepository } from '../../github/repository.js';
import { SETTINGS_FILE } from '../../manifest/ecosystem.js';
import { UsageError } from '../../repo/errors.js';
import { escapeControlChars } from '../../report/formats/text.js';
import { cliActor, EXIT, rootFromOption, useColor, writeStdout } from '../context.js';
import { numberOption } from '../flags.js';
import { leaseDryRun } from '../leases.js';
import type { RegisterCommand } from './index.js';

interface TrailFlags {
  root?: string;
  branch?: string;
  remote?: string | false;
  governanceRef?: string;
}

function trailOptions(cmd: Command): Command {
  return cmd
    .option('--root <dir>', 'repository root (default: git top level)')
    .option('--branch <name>', 'audit branch (default: $MNOPS_AUDIT_BRANCH or mnops/audit)')
    .option('--remote <name>', 'remote whose audit branch is the trail: fetched before reading and verifying, pushed to after writing (default: origin when it exists)')
    .option('--no-remote', 'keep the trail local')
    .option('--governance-ref <ref>', `ref whose ${SETTINGS_FILE} lists the audit signers (default: <remote>/HEAD, else HEAD)`);
}

async function openTrail(flags: TrailFlags): Promise<AuditTrail> {
  return AuditTrail.open({ root: await rootFromOption(flags.root), branch: flags.branch, remote: flags.remote, ...(flags.governanceRef ? { governanceRef: flags.governanceRef } : {}) });
}

function parseTime(text: string, flag: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`${flag} "${text}" is not a date`, 'write it as YYYY-MM-DD or an RFC 3339 time');
  return t;
}

/** The verified actor, and a name the caller only claimed beside it. */
function actorCell(r: AuditRecord): string {
  return r.claimedActor !== undefined ? `${r.actor} (claimed: ${r.claimedActor})` : r.actor;
}

function table(records: AuditRecord[], color: boolean): string {
  const c = pc.createColors(color);
  const header = ['time', 'action', 'environment', 'platform', 'versions', 'outcome', 'actor', 'seq'];
  // Cells are record text, which a forged line chooses: control characters are shown, not obeyed.
  const rows = records.map((r) =>
    [
      String(r.time).replace(/\.\d{3}Z$/, 'Z'),
      r.action,
      r.environment,
      r.platform ?? '',
      r.fromVersion || r.toVersion ? `${r.fromVersion ?? '∅'} → ${r.toVersion ?? '∅'}` : '',
      r.outcome,
      actorCell(r),
      `#${r.seq}`,
    ].map((cell) => escapeControlChars(String(cell))),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  const paint = (r: AuditRecord, text: string) => (r.outcome === 'failure' || r.outcome === 'denied' || r.outcome === 'broken' ? c.red(text) : r.outcome === 'success' ? c.green(text) : text);
  return [c.bold(line(header)), ...rows.map((row, i) => paint(records[i]!, line(row)))].join('\n') + '\n';
}

function verifyText(report: VerifyReport, color: boolean): string {
  const c = pc.createColors(color);
  const v = report.verified;
  const lines = [`verified ${v.ref}${v.commit ? ` at ${v.commit.slice(0, 12)}` : ' (no records yet)'}${v.seq ? `, up to #${v.seq}` : ''}`];
  const l = report.local;
  if (l?.state === 'same') lines.push(`  the local branch ${l.ref} is the same commit`);
  else if (l?.state === 'ahead') lines.push(`${c.yellow('!')} the local branch ${l.ref} has records not on ${v.ref} yet (up to #${l.seq}): the next append publishes them`);
  else if (l?.state === 'absent') lines.push(`  no local branch ${l.ref} in this clone`);
  lines.push(...report.breaks.map((b) => `${c.red('✖')} ${b.kind.padEnd(16)} ${b.message}`));
  lines.push(
    report.breaks.length === 0
      ? `${c.green('✔')} ${report.records} records, chain intact (${report.checkpoints} checkpoints)`
      : `${c.red('✖')} ${report.breaks.length} break${report.breaks.length === 1 ? '' : 's'} in ${report.records} records`,
  );
  const s = report.signatures;
  lines.push(
    s.governed
      ? `  signatures: ${s.signed} of ${report.records} records signed; signers ${s.signers.join(', ')} from ${s.source}${s.signedFrom > 1 ? `, records before #${s.signedFrom} grandfathered` : ''}`
      : `${c.yellow('!')} no audit signers are listed in ${SETTINGS_FILE} at ${s.source}: signatures are not checked (${s.signed} of ${report.records} records signed) — list them under spec.audit.signers (mnops audit keygen)`,
  );
  if (report.witness) lines.push(`  witness: this clone has verified up to #${report.witness.seq} (${report.witness.hash.slice(0, 12)})${report.witness.advanced ? '' : `, on ${report.witness.verifiedAt}`}`);
  if (report.heads > 0) lines.push(`  GitHub: ${report.heads} audit head${report.heads === 1 ? '' : 's'} in deployment statuses checked`);
  return `${lines.join('\n')}\n`;
}

/** The heads the repository's GitHub deployment statuses carry, for `verify --github`. */
async function githubHeads(trail: AuditTrail, repoFlag: string | undefined): Promise<ExternalHead[]> {
  const token = process.env.GITHUB_TOKEN || process.env.GH_TOKEN;
  if (!token) throw new UsageError('audit verify --github needs a GitHub token in GITHUB_TOKEN (or GH_TOKEN)', 'pass a token that may read deployments (permissions: { deployments: read })');
  const where = await githubRepository(trail.root, trail.remote, repoFlag);
  const heads = await recordedHeads(createGitHubClient({ token }), where);
  return heads.map((h) => ({ seq: h.seq, hash: h.hash, source: `GitHub deployment ${h.deploymentId} to ${h.environment} (status ${h.statusId}, ${h.createdAt})` }));
}

export const registerAudit: RegisterCommand = (program: Command, setExit) => {
  const audit = program.command('audit').description('the append-only, hash-chained, signed audit trail in git');

  trailOptions(audit.command('log').description('records, newest first (read from the record files on the audit branch)'))
    .option('--env <name>', 'only this environment')
    .option('--platform <name>', 'only this platform')
    .addOption(new Option('--action <action>', 'only this action').choices([...AUDIT_ACTIONS]))
    .option('--since <date>', 'only records at or after this time')
    .option('--until <date>', 'only records before this time')
    .addOption(numberOption('--limit <n>', 'at most this many records', 'positive'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: TrailFlags & { env?: string; platform?: string; action?: AuditAction; since?: string; until?: string; limit?: number; format: 'text' | 'json' }) => {
      const since = flags.since ? parseTime(flags.since, '--since') : -Infinity;
      const until = flags.until ? parseTime(flags.until, '--until') : Infinity;
      const trail = await openTrail(flags);
      const all = await trail.records();
      let records = all
        .filter((r) => (!flags.env || r.environment === flags.env) && (!flags.platform || r.platform === flags.platform) && (!flags.action || r.action === flags.action))
        .filter((r) => Date.parse(r.time) >= since && Date.parse(r.time) < until)
        .reverse();
      if (flags.limit !== undefined) records = records.slice(0, flags.limit);
      // A reader is told when what it reads does not verify; the records are still shown.
      const broken = await tipBreaks(trail, all).catch((err: Error) => [{ message: err.message }]);
      if (broken.length > 0) process.stderr.write(`mnops: the trail does not verify (${broken.length} problem${broken.length === 1 ? '' : 's'}; first: ${escapeControlChars(broken[0]!.message)})\n  run mnops audit verify\n`);
      await writeStdout(flags.format === 'json' ? `${JSON.stringify(records, null, 2)}\n` : records.length ? table(records, useColor()) : 'no audit records match\n');
      setExit(EXIT.OK);
    });

  trailOptions(
    audit
      .command('verify')
      .description('walk the chain, signatures, checkpoints and this clone\'s witness; exit 1 on any changed, removed, inserted, reordered, truncated, unsigned, foreign-signed or rewritten record'),
  )
    .option('--github', 'also check the audit heads recorded in the repository\'s GitHub deployment statuses (token in $GITHUB_TOKEN)')
    .option('--repo <owner/name>', 'GitHub repository for --github (default: $GITHUB_REPOSITORY, else the remote\'s URL)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: TrailFlags & { github?: boolean; repo?: string; format: 'text' | 'json' }) => {
      const trail = await openTrail(flags);
      const heads = flags.github ? await githubHeads(trail, flags.repo) : undefined;
      const report = await verifyTrail(trail, heads ? { heads } : {});
      await writeStdout(flags.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : verifyText(report, useColor()));
      setExit(report.breaks.length > 0 ? EXIT.FOUND : EXIT.OK);
    });

  trailOptions(audit.command('append').description('record an action by hand (ids make retries safe); signed with $MNOPS_AUDIT_KEY'))
    .addOption(new Option('--action <action>', 'what happened').choices([...AUDIT_ACTIONS]).makeOptionMandatory())
    .requiredOption('--env <name>', 'environment')
    .addOption(new Option('--outcome <outcome>', 'how it ended').choices([...AUDIT_OUTCOMES]).makeOptionMandatory())
    .option('--platform <name>', 'platform')
    .option('--from-version <v>', 'version before')
    .option('--to-version <v>', 'version after')
    .option('--reason <text>', 'why')
    .option('--commit <sha>', 'manifest commit acted on')
    .option('--id <id>', 'idempotency key (default: a new one)')
    .option('--actor <name>', 'who you say acted: recorded as claimed, beside the runner identity that wrote the record')
    .option('--dry-run', 'print the record that would be appended and change nothing')
    .action(async (flags: TrailFlags & { action: AuditAction; env: string; outcome: AuditOutcome; platform?: string; fromVersion?: string; toVersion?: string; reason?: string; commit?: string; id?: string; actor?: string; dryRun?: boolean }) => {
      const trail = await openTrail(flags);
      if (flags.dryRun) {
        const what = [flags.action, flags.env, flags.platform, flags.fromVersion || flags.toVersion ? `${flags.fromVersion ?? '∅'} → ${flags.toVersion ?? '∅'}` : undefined, flags.outcome].filter(Boolean).join(' ');
        await writeStdout(`dry run: would record ${escapeControlChars(what)} by ${escapeControlChars(cliActor(trail.root))} on ${trail.branch}; nothing was changed\n`);
        return setExit(EXIT.OK);
      }
      const r = await trail.append({
        id: flags.id,
        actor: flags.actor ?? cliActor(trail.root),
        action: flags.action,
        environment: flags.env,
        platform: flags.platform,
        fromVersion: flags.fromVersion,
        toVersion: flags.toVersion,
        outcome: flags.outcome,
        reason: flags.reason,
        commit: flags.commit,
      });
      await writeStdout(r.duplicate ? `already recorded (${escapeControlChars(flags.id ?? '')})\n` : `recorded #${r.record?.seq} ${r.record?.id}${r.retries ? ` after ${r.retries} retries` : ''}\n`);
      setExit(EXIT.OK);
    });

  audit
    .command('keygen')
    .description(`print a new signing key: the private key (stdout) for the ${KEY_ENV} secret, the public key (stderr) for ${SETTINGS_FILE}`)
    .option('--name <name>', 'signer name to list it under', 'ci')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: { name: string; format: 'text' | 'json' }) => {
      const k = generateSigningKey();
      if (flags.format === 'json') {
        await writeStdout(`${JSON.stringify({ name: flags.name, privateKey: k.privateKey, publicKey: k.publicKey, keyId: k.keyId }, null, 2)}\n`);
      } else {
        // The secret alone on stdout, so it can be piped: mnops audit keygen | gh secret set MNOPS_AUDIT_KEY
        await writeStdout(`${k.privateKey}\n`);
        process.stderr.write(
          [
            `The line on stdout is the private key (key ${k.keyId}): store it as the ${KEY_ENV} secret of the workflows that write the trail; never commit it.`,
            `List the public key in ${SETTINGS_FILE} through a reviewed change:`,
            '',
            '  audit:',
            '    signers:',
            `      - name: ${JSON.stringify(flags.name)}`,
            `        publicKey: ${k.publicKey}`,
            '',
          ].join('\n'),
        );
      }
      setExit(EXIT.OK);
    });

  const lock = audit.command('lock').description('environment leases, recorded in the trail');
  trailOptions(lock.command('acquire').description('take the lease on an environment (exit 1 when someone holds it)'))
    .requiredOption('--env <name>', 'environment')
    .option('--holder <name>', 'who holds it (default: the runner identity: $GITHUB_ACTOR in Actions, else the OS user)')
    .addOption(numberOption('--ttl <duration>', 'lease duration (seconds, or 30m, 2h)', 'duration', '30m'))
    .option('--reason <text>', 'why')
    .option('--dry-run', 'say whether the lease would be taken, and change nothing')
    .action(async (flags: TrailFlags & { env: string; holder?: string; ttl: number; reason?: string; dryRun?: boolean }) => {
      const trail = await openTrail(flags);
      if (flags.dryRun) {
        await writeStdout(await leaseDryRun(trail, 'acquire', { environment: flags.env, holder: flags.holder ?? cliActor(trail.root) }));
        return setExit(EXIT.OK);
      }
      const r = await acquireLease(trail, {
        environment: flags.env,
        holder: flags.holder ?? cliActor(trail.root),
        ttlMs: flags.ttl,
        reason: flags.reason,
      });
      if (r.acquired) await writeStdout(`lease ${r.lease.id} on ${flags.env} until ${r.lease.expiresAt}\n`);
      else await writeStdout(`${flags.env} is held by ${r.heldBy.holder} (lease ${r.heldBy.id}) until ${r.heldBy.expiresAt}\n`);
      setExit(r.acquired ? EXIT.OK : EXIT.FOUND);
    });
  trailOptions(lock.command('release').description('give back a lease you hold'))
    .requiredOption('--env <name>', 'environment')
    .requiredOption('--lease <id>', 'lease id')
    .option('--dry-run', 'say whether the lease would be released, and change nothing')
    .action(async (flags: TrailFlags & { env: string; lease: string; dryRun?: boolean }) => {
      const trail = await openTrail(flags);
      if (flags.dryRun) {
        await writeStdout(await leaseDryRun(trail, 'release', { environment: flags.env, holder: cliActor(trail.root), leaseId: flags.lease }));
        return setExit(EXIT.OK);
      }
      await releaseLease(trail, { environment: flags.env, leaseId: flags.lease, actor: cliActor(trail.root) });
      await writeStdout(`released ${flags.lease} on ${flags.env}\n`);
      setExit(EXIT.OK);
    });
  trailOptions(lock.command('break').description("clear someone else's lease (e.g. after a crashed deploy); the reason is recorded"))
    .requiredOption('--env <name>', 'environment')
    .requiredOption('--lease <id>', 'lease id')
    .requiredOption('--reason <text>', 'why it is safe to break')
    .option('--dry-run', 'say whether the lease would be broken, and change nothing')
    .action(async (flags: TrailFlags & { env: string; lease: string; reason: string; dryRun?: boolean }) => {
      const trail = await openTrail(flags);
      if (flags.dryRun) {
        await writeStdout(await leaseDryRun(trail, 'break', { environment: flags.env, holder: cliActor(trail.root), leaseId: flags.lease }));
        return setExit(EXIT.OK);
      }
      await breakLease(trail, { environment: flags.env, leaseId: flags.lease, actor: cliActor(trail.root), reason: flags.reason });
      await writeStdout(`broke ${flags.lease} on ${flags.env}\n`);
      setExit(EXIT.OK);
    });
  trailOptions(lock.command('status').description('who holds the lease on an environment'))
    .requiredOption('--env <name>', 'environment')
    .action(async (flags: TrailFlags & { env: string }) => {
      const records = await (await openTrail(flags)).records();
      const live = currentLease(records, flags.env, new Date());
      await writeStdout(live ? `${flags.env} is held by ${live.holder} (lease ${live.id}) until ${live.expiresAt}\n` : `${flags.env} is free\n`);
      setExit(EXIT.OK);
    });
};
