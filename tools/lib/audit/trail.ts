// The audit trail: an append-only, hash-chained, signed branch. One commit per record, which
// adds the record's line to its day file; the commit message is a one-line summary for
// people and is never read back. Appends race through the remote: a rejected push is retried
// on the new tip, so the chain stays linear, and ids make a retried append (even after a
// crash) land exactly once.
import { GitError, MnopsError } from '../repo/errors.js';
import type { ChainedRecord } from './checks.js';
import { addedRecord, changesOf, dayFilesAt, recordsAt, recordsWithId, type CommitChange } from './files.js';
import { auditGovernanceAt, checkWriter, governanceRef, type AuditGovernance } from './governance.js';
import { runnerIdentity, type RunnerIdentity } from './identity.js';
import { commitFile, git, gitRun, readBlob, resolveRef } from './plumbing.js';
import { canonicalJson } from '../json/canonical.js';
import { checkEntry, dayFile, sealRecord, type AuditEntry, type AuditRecord } from './record.js';
import { signingKeyFromEnv, type SigningKey } from './signing.js';

export const DEFAULT_BRANCH = 'mnops/audit';
/** Checkpoint tags: one per record, never moved, so a truncated or rewritten branch shows. */
export const CHECKPOINT_PREFIX = 'refs/tags/mnops-audit/';
export interface TrailOptions {
  /** Any checkout (or bare repository) of the manifest repository. */
  root: string;
  branch?: string;
  /** Remote to publish to; default $MNOPS_AUDIT_REMOTE, else `origin` when it exists, none otherwise. */
  remote?: string | false;
  /** Secret values resolved for this run: replaced by *** in every record. */
  secrets?: readonly string[];
  /** Push attempts before giving up (each on the new tip). */
  maxAttempts?: number;
  /** Who writes (default: the runner's identity). */
  identity?: RunnerIdentity;
  /** The key records are signed with (default: $MNOPS_AUDIT_KEY); null signs nothing. */
  key?: SigningKey | null;
  /** The ref the signers are read from (default `<remote>/HEAD` when known, else HEAD). */
  governanceRef?: string;
}

/** A checkpoint tag: the commit that added record `seq`. */
export interface Checkpoint {
  seq: number;
  commit: string;
}

/** A checkpoint this clone holds that the remote now points elsewhere. */
export interface MovedCheckpoint {
  seq: number;
  local: string;
  remote: string;
}

/** What the trail looks like at its tip, for builders that decide what to append. */
export interface TrailTip {
  last?: AuditRecord;
  /** Records of the last two day files (enough for leases and idempotency checks). */
  recent: AuditRecord[];
}

/** Builds the entry to append from the current tip, or null to append nothing. */
export type EntryBuilder = (tip: TrailTip) => AuditEntry | null;

export interface AppendResult {
  record?: AuditRecord;
  commit?: string;
  /** The id was already in the trail: nothing new was written. */
  duplicate: boolean;
  /** Pushes rejected because another writer got there first. */
  retries: number;
}

export class AuditConflictError extends MnopsError {}

/** For people reading `git log`; nothing reads it back. */
export function commitMessage(r: AuditRecord): string {
  return `audit #${r.seq}: ${r.action} ${r.environment}${r.platform ? ` ${r.platform}` : ''} ${r.outcome}\n`;
}

export class AuditTrail {
  readonly branch: string;
  private readonly ref: string;
  private governanceRead?: Promise<AuditGovernance>;
  private writerKey?: SigningKey | null;
  private moved: MovedCheckpoint[] = [];

  private constructor(
    readonly root: string,
    readonly remote: string | undefined,
    private readonly options: TrailOptions,
  ) {
    this.branch = options.branch ?? process.env.MNOPS_AUDIT_BRANCH ?? DEFAULT_BRANCH;
    this.ref = `refs/heads/${this.branch}`;
  }

  static async open(options: TrailOptions): Promise<AuditTrail> {
    const inside = await gitRun(options.root, ['rev-parse', '--git-dir']);
    if (inside.code !== 0) throw new GitError(`${options.root} is not a git repository`, 'run the audit commands inside the manifest repository, or pass --root');
    let remote: string | undefined;
    // $MNOPS_AUDIT_REMOTE names the remote, or `none` to keep the trail in this clone only.
    const fromEnv = process.env.MNOPS_AUDIT_REMOTE;
    const wanted = options.remote ?? (fromEnv === 'none' ? false : fromEnv || undefined);
    if (wanted !== false) {
      const name = wanted ?? 'origin';
      const r = await gitRun(options.root, ['remote', 'get-url', name]);
      if (r.code === 0) remote = name;
      else if (wanted) throw new GitError(`the remote "${name}" does not exist`, 'add it with git remote add, or omit --remote');
    }
    return new AuditTrail(options.root, remote, options);
  }

  private get remoteRef(): string {
    return `refs/remotes/${this.remote}/${this.branch}`;
  }

  /** Fetch the branch (and the checkpoint tags); returns the remote tip (undefined when new). */
  private async fetch(withCheckpoints = true): Promise<string | undefined> {
    if (!this.remote) return undefined;
    // Appends skip the checkpoint tags: listing thousands of them made every append slower
    // as the trail grew; an atomic push still fails if another writer took the same seq.
    const r = await gitRun(this.root, ['fetch', '--quiet', '--no-tags', this.remote, `+${this.ref}:${this.remoteRef}`]);
    if (r.code !== 0) {
      if (/couldn't find remote ref/i.test(r.stderr)) {
        await gitRun(this.root, ['update-ref', '-d', this.remoteRef]);
        if (withCheckpoints) this.moved = await this.adoptCheckpoints();
        return undefined;
      }
      throw new GitError(`cannot fetch the audit branch from ${this.remote}: ${r.stderr.trim().split('\n')[0] ?? ''}`, 'check the remote is reachable and you may read it');
    }
    if (withCheckpoints) this.moved = await this.adoptCheckpoints();
    return resolveRef(this.root, this.remoteRef);
  }

  /**
   * Takes the remote's new checkpoint tags as this clone's own; a tag this clone already holds
   * is never replaced (no forced fetch of tags) — a different one on the remote is reported.
   */
  private async adoptCheckpoints(): Promise<MovedCheckpoint[]> {
    const listed = await gitRun(this.root, ['ls-remote', '--refs', this.remote!, `${CHECKPOINT_PREFIX}*`]);
    if (listed.code !== 0) throw new GitError(`cannot list the checkpoint tags of ${this.remote}: ${listed.stderr.trim().split('\n')[0] ?? ''}`, 'check the remote is reachable and you may read it');
    const local = new Map<string, string>();
    for (const line of (await git(this.root, ['for-each-ref', '--format=%(refname) %(objectname)', CHECKPOINT_PREFIX])).split('\n')) {
      const [ref, object] = line.split(' ');
      if (ref && object) local.set(ref, object);
    }
    const moved: MovedCheckpoint[] = [];
    const missing: string[] = [];
    for (const line of listed.stdout.split('\n')) {
      const [object, ref] = line.split('\t');
      if (!object || !ref?.startsWith(CHECKPOINT_PREFIX)) continue;
      const mine = local.get(ref);
      const seq = ref.slice(CHECKPOINT_PREFIX.length);
      if (mine === undefined) missing.push(`${ref}:${ref}\n`);
      else if (mine !== object && /^\d+$/.test(seq)) moved.push({ seq: Number(seq), local: mine, remote: object });
    }
    // Only tags this clone lacks, and without +: a tag that appears here meanwhile is not clobbered.
    if (missing.length) await gitRun(this.root, ['fetch', '--quiet', '--no-tags', this.remote!, '--stdin'], { input: missing.join('') });
    return moved.sort((a, b) => a.seq - b.seq);
  }

  /** Who may sign this trail, read once from the trusted ref. */
  governance(): Promise<AuditGovernance> {
    this.governanceRead ??= governanceRef(this.root, this.remote, this.options.governanceRef).then((ref) => auditGovernanceAt(this.root, ref));
    return this.governanceRead;
  }

  /** The writer's key: given, or from $MNOPS_AUDIT_KEY (read once; a malformed one is an error). */
  private signingKey(): SigningKey | undefined {
    if (this.writerKey === undefined) this.writerKey = this.options.key === null ? null : (this.options.key ?? signingKeyFromEnv() ?? null);
    return this.writerKey ?? undefined;
  }

  /** The record with this id anywhere on the branch up to `tip`. */
  private async findById(tip: string, id: string): Promise<AuditRecord | undefined> {
    return (await recordsWithId(this.root, tip, id))[0];
  }

  /** The records the commits in base..tip add (oldest first), with their commits. */
  private async between(base: string | undefined, tip: string): Promise<ChainedRecord[]> {
    const list: ChainedRecord[] = [];
    for (const c of await this.history(base, tip)) {
      const record = addedRecord(c);
      if (record) list.push({ record, commit: c.commit });
    }
    return list;
  }

  /** What each commit in base..tip changed (oldest first), for verify. */
  history(base: string | undefined, tip: string): Promise<CommitChange[]> {
    return changesOf(this.root, ['--reverse', base ? `${base}..${tip}` : tip]);
  }

  /** What the named commits (e.g. checkpoints off the branch) changed. */
  changesOfCommits(commits: readonly string[]): Promise<CommitChange[]> {
    return commits.length ? changesOf(this.root, ['--no-walk=unsorted'], commits.map((c) => `${c}\n`).join('')) : Promise.resolve([]);
  }

  /** The record the commit at `tip` added, or an error saying the branch is not a trail. */
  private async lastRecord(tip: string): Promise<AuditRecord> {
    const [change] = await changesOf(this.root, ['-1', tip]);
    const last = change ? addedRecord(change) : undefined;
    if (!last) throw new MnopsError(`the tip of ${this.branch} (${tip.slice(0, 12)}) is not an audit record`, 'run mnops audit verify; the branch may have been rewritten');
    return last;
  }

  private async tipState(tip: string | undefined): Promise<TrailTip> {
    if (!tip) return { recent: [] };
    const last = await this.lastRecord(tip);
    // The two newest day files hold at least the last day of records (leases last at most 12 h).
    const files = (await dayFilesAt(this.root, tip)).slice(-2);
    return { last, recent: await recordsAt(this.root, tip, files) };
  }

  /**
   * Appends one record (or what `build` returns for the current tip) and publishes it.
   * Commits left unpublished by a crashed earlier append are published first, once.
   */
  async append(entryOrBuilder: AuditEntry | EntryBuilder): Promise<AppendResult> {
    const build: EntryBuilder = typeof entryOrBuilder === 'function' ? entryOrBuilder : () => entryOrBuilder;
    const max = this.options.maxAttempts ?? 50;
    let retries = 0;
    // The id is fixed on the first attempt, so every retry appends the same record.
    let fixedId: string | undefined = typeof entryOrBuilder === 'function' ? undefined : entryOrBuilder.id;
    // A caller's own id may have landed long ago (a CI job re-run days later): looked up
    // once in the whole branch when the recent days do not have it. Generated ids cannot.
    let lookUpOld = typeof entryOrBuilder !== 'function' && entryOrBuilder.id !== undefined;
    let old: AuditRecord | undefined;
    for (let attempt = 1; attempt <= max; attempt++) {
      const remoteTip = await this.fetch(false);
      const localTip = await resolveRef(this.root, this.ref);
      const base = this.remote ? remoteTip : localTip;

      // Local commits the remote does not have: a crash between commit and push.
      let pending: AuditRecord[] = [];
      if (this.remote && localTip && localTip !== remoteTip) {
        const ancestor = remoteTip ? (await gitRun(this.root, ['merge-base', '--is-ancestor', localTip, remoteTip])).code === 0 : false;
        if (!ancestor) {
          const mergeBase = remoteTip ? (await gitRun(this.root, ['merge-base', localTip, remoteTip])).stdout.trim() || undefined : undefined;
          pending = (await this.between(mergeBase, localTip)).map((c) => c.record);
        }
      }
      const tip = await this.tipState(base);
      const known = new Set(tip.recent.map((r) => r.id));
      if (base && pending.length > 0) for (const r of await recordsAt(this.root, base)) known.add(r.id);

      const entry = build(tip);
      if (entry) checkEntry(entry);
      const key = this.signingKey();
      const governance = await this.governance();
      if (entry && fixedId === undefined) fixedId = entry.id ?? crypto.randomUUID();
      if (entry && lookUpOld && base && !known.has(fixedId!) && pending.length === 0) {
        lookUpOld = false;
        old = await this.findById(base, fixedId!);
        if (old) known.add(old.id);
      }
      // This append's own earlier attempt (its push was rejected, or a crashed run with the
      // same id) is never republished as it was: it was decided against an older tip, and a
      // builder (a lease) may decide differently now. It is rebuilt from `entry`, or dropped.
      const toWrite: AuditEntry[] = pending.filter((r) => !known.has(r.id) && r.id !== fixedId).map((r) => unconfirmedLease(asEntry(r)));
      let duplicate = false;
      if (entry) {
        const id = fixedId!;
        if (known.has(id)) duplicate = true;
        else toWrite.push({ ...entry, id });
      }
      if (toWrite.length === 0) {
        if (localTip !== base && base) await git(this.root, ['update-ref', this.ref, base]);
        else if (localTip && !base && this.remote) await gitRun(this.root, ['update-ref', '-d', this.ref, localTip]);
        const existing = entry ? (tip.recent.find((r) => r.id === fixedId) ?? (old?.id === fixedId ? old : undefined)) : undefined;
        return { record: existing, duplicate: duplicate || Boolean(existing), retries };
      }

      let parent = base;
      let prev = tip.last;
      const written: { record: AuditRecord; commit: string }[] = [];
      for (const e of toWrite) {
        // A governed trail takes only records a listed key may sign: refused before anything is published.
        checkWriter(governance, key, (prev?.seq ?? 0) + 1, e.action);
        const record = sealRecord(e, (prev?.seq ?? 0) + 1, prev?.hash ?? '', { secrets: this.options.secrets, identity: this.identity, key });
        const now = new Date().toISOString();
        const file = dayFile(now);
        const content = (parent ? await readBlob(this.root, parent, file) : '') + `${canonicalJson(record)}\n`;
        const commit = await commitFile(this.root, parent, file, content, commitMessage(record), {
          name: record.actor,
          email: `${record.actor.replace(/[^A-Za-z0-9._-]/g, '_')}@mnops.invalid`,
          date: now,
        });
        written.push({ record, commit });
        parent = commit;
        prev = record;
      }
      const newTip = parent!;
      // Compare-and-swap the local ref: another process in this clone may have moved it.
      const cas = await gitRun(this.root, ['update-ref', this.ref, newTip, localTip ?? '0'.repeat(40)]);
      if (cas.code !== 0) {
        retries++;
        continue;
      }
      if (this.remote) {
        const refspecs = [`${newTip}:${this.ref}`, ...written.map((w) => `${w.commit}:${CHECKPOINT_PREFIX}${w.record.seq}`)];
        const push = await gitRun(this.root, ['push', '--atomic', '--quiet', this.remote, ...refspecs]);
        if (push.code !== 0) {
          if (/rejected|non-fast-forward|fetch first|already exists|failed to update ref|stale info|cannot lock ref/i.test(push.stderr)) {
            retries++;
            await sleep(Math.min(50 * attempt, 500) * Math.random());
            continue;
          }
          throw new GitError(`cannot push the audit record to ${this.remote}: ${push.stderr.trim().split('\n')[0] ?? ''}`, 'check you may push to the audit branch; the record stays committed locally and the next append publishes it');
        }
        await gitRun(this.root, ['update-ref', this.remoteRef, newTip]);
      }
      // This clone's own checkpoints: with a remote they are what it pushed, so a later move there shows.
      await gitRun(this.root, ['update-ref', '--stdin'], { input: written.map((w) => `create ${CHECKPOINT_PREFIX}${w.record.seq} ${w.commit}\n`).join('') });
      const mine = written.find((w) => w.record.id === fixedId);
      return { record: mine?.record, commit: mine?.commit, duplicate, retries };
    }
    throw new AuditConflictError(`could not append to ${this.branch} after ${max} attempts: other writers kept moving it`, 'retry; the record id makes a retry safe');
  }

  private get identity(): RunnerIdentity {
    return this.options.identity ?? runnerIdentity(process.env, this.root);
  }

  /** Every record at the tip (after fetching the remote), by seq, read from the day files. */
  async records(): Promise<AuditRecord[]> {
    const remoteTip = await this.fetch(false);
    const tip = remoteTip ?? (await resolveRef(this.root, this.ref));
    return tip ? recordsAt(this.root, tip) : [];
  }

  /**
   * What verify judges, after fetching: the published tip (the local branch when there is no
   * remote), this clone's checkpoint tags, and the ones the remote moved.
   */
  async snapshot(): Promise<{ tip?: string; checkpoints: Checkpoint[]; moved: MovedCheckpoint[] }> {
    const remoteTip = await this.fetch(true);
    const tip = this.remote ? remoteTip : await resolveRef(this.root, this.ref);
    // Peeled: an annotated tag pushed in place of a checkpoint still names its commit.
    const out = await git(this.root, ['for-each-ref', '--format=%(refname) %(objectname) %(*objectname)', CHECKPOINT_PREFIX]);
    const checkpoints = out
      .split('\n')
      .map((line) => line.split(' '))
      .filter((p) => p.length >= 2 && /^\d+$/.test(p[0]!.slice(CHECKPOINT_PREFIX.length)))
      .map(([ref, object, peeled]) => ({ seq: Number(ref!.slice(CHECKPOINT_PREFIX.length)), commit: peeled || object! }))
      .sort((a, b) => a.seq - b.seq);
    return { tip, checkpoints, moved: this.moved };
  }

  /** The last record of the local branch — what this clone last wrote or fetched — if any. */
  async head(): Promise<AuditRecord | undefined> {
    const tip = await resolveRef(this.root, this.ref);
    return tip ? this.lastRecord(tip) : undefined;
  }
}

/**
 * A lease acquisition still pending was never granted (acquireLease reports a lease only
 * once its push landed): published as `acquired` it would hand the environment to a holder
 * who does not know it holds it — over the real holder, if someone took the lease since.
 * It is kept, as the failed acquisition it was.
 */
function unconfirmedLease(e: AuditEntry): AuditEntry {
  return e.action === 'lock' && e.outcome === 'acquired' ? { ...e, outcome: 'failure' } : e;
}

/** A record as the entry it was made from, to seal again on a new tip (and sign anew). */
function asEntry(r: AuditRecord): AuditEntry {
  const { seq: _s, prev: _p, hash: _h, signature: _g, run: _r, claimedActor, ...entry } = r;
  return { ...entry, actor: claimedActor ?? r.actor };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
