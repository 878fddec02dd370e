// The audit trail: an append-only, hash-chained branch. One commit per record;
// the commit message carries the record and the day file gains one line. Appends race
// through the remote: a rejected push is retried on the new tip, so the chain stays linear,
// and ids make a retried append (even after a crash) land exactly once.
import { GitError, MnopsError } from '../repo/errors.js';
import { commitFile, git, gitRun, readBlob, resolveRef } from './plumbing.js';
import { canonicalJson, dayFile, isAuditRecord, sealRecord, type AuditEntry, type AuditRecord } from './record.js';

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
}

export interface ChainedRecord {
  record: AuditRecord;
  commit: string;
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

function commitMessage(r: AuditRecord): string {
  const subject = `audit #${r.seq}: ${r.action} ${r.environment}${r.platform ? ` ${r.platform}` : ''} ${r.outcome}`;
  return `${subject}\n\n${canonicalJson(r)}\n`;
}

export function recordFromMessage(message: string): AuditRecord | undefined {
  const line = message.split('\n').find((l) => l.startsWith('{'));
  if (!line) return undefined;
  try {
    const v = JSON.parse(line) as unknown;
    return isAuditRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export class AuditTrail {
  readonly branch: string;
  private readonly ref: string;

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

  /** Fetch the branch and the checkpoint tags; returns the remote tip (undefined when new). */
  private async fetch(withCheckpoints = true): Promise<string | undefined> {
    if (!this.remote) return undefined;
    // Appends skip the checkpoint tags: listing thousands of them made every append slower
    // as the trail grew; an atomic push still fails if another writer took the same seq.
    const refspecs = [`+${this.ref}:${this.remoteRef}`, ...(withCheckpoints ? [`+${CHECKPOINT_PREFIX}*:${CHECKPOINT_PREFIX}*`] : [])];
    const r = await gitRun(this.root, ['fetch', '--quiet', '--no-tags', this.remote, ...refspecs]);
    if (r.code !== 0) {
      if (/couldn't find remote ref/i.test(r.stderr)) {
        await gitRun(this.root, ['update-ref', '-d', this.remoteRef]);
        return undefined;
      }
      throw new GitError(`cannot fetch the audit branch from ${this.remote}: ${r.stderr.trim().split('\n')[0] ?? ''}`, 'check the remote is reachable and you may read it');
    }
    return resolveRef(this.root, this.remoteRef);
  }

  /** The record with this id anywhere on the branch up to `tip`. */
  private async findById(tip: string, id: string): Promise<AuditRecord | undefined> {
    // The record's JSON line holds `"id":<id>` verbatim (canonical JSON); a lease's nested id
    // can match too, hence the parse.
    const needle = `${JSON.stringify('id')}:${JSON.stringify(id)}`;
    const out = await git(this.root, ['log', '--first-parent', '--fixed-strings', `--grep=${needle}`, '--format=%B%x1e', tip]);
    for (const message of out.split('\x1e')) {
      const record = recordFromMessage(message.replace(/^\n/, ''));
      if (record?.id === id) return record;
    }
    return undefined;
  }

  /** Records carried by the commits in base..tip (oldest first), from their messages. */
  private async between(base: string | undefined, tip: string): Promise<ChainedRecord[]> {
    const range = base ? `${base}..${tip}` : tip;
    const out = await git(this.root, ['log', '--reverse', '--first-parent', '--format=%H%x1f%B%x1e', range]);
    const list: ChainedRecord[] = [];
    for (const chunk of out.split('\x1e')) {
      const [commit, message] = chunk.replace(/^\n/, '').split('\x1f');
      if (!commit || message === undefined) continue;
      const record = recordFromMessage(message);
      if (record) list.push({ record, commit: commit.trim() });
    }
    return list;
  }

  private async tipState(tip: string | undefined): Promise<TrailTip> {
    if (!tip) return { recent: [] };
    const last = recordFromMessage(await git(this.root, ['log', '-1', '--format=%B', tip]));
    if (!last) throw new MnopsError(`the tip of ${this.branch} (${tip.slice(0, 12)}) is not an audit record`, 'run mnops audit verify; the branch may have been rewritten');
    const today = dayFile(new Date().toISOString());
    const yesterday = dayFile(new Date(Date.now() - 86_400_000).toISOString());
    const files = [...new Set([dayFile(last.time), yesterday, today])];
    const recent: AuditRecord[] = [];
    for (const f of files) {
      for (const line of (await readBlob(this.root, tip, f)).split('\n')) {
        if (!line) continue;
        try {
          const r = JSON.parse(line) as unknown;
          if (isAuditRecord(r)) recent.push(r);
        } catch {
          // verify reports malformed lines
        }
      }
    }
    recent.sort((a, b) => a.seq - b.seq);
    return { last, recent };
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
      if (base && pending.length > 0) for (const c of await this.between(undefined, base)) known.add(c.record.id);

      const entry = build(tip);
      if (entry && fixedId === undefined) fixedId = entry.id ?? crypto.randomUUID();
      if (entry && lookUpOld && base && !known.has(fixedId!) && pending.length === 0) {
        lookUpOld = false;
        old = await this.findById(base, fixedId!);
        if (old) known.add(old.id);
      }
      // This append's own earlier attempt (its push was rejected, or a crashed run with the
      // same id) is never republished as it was: it was decided against an older tip, and a
      // builder (a lease) may decide differently now. It is rebuilt from `entry`, or dropped.
      const toWrite: AuditEntry[] = pending.filter((r) => !known.has(r.id) && r.id !== fixedId).map((r) => unconfirmedLease(stripChain(r)));
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
      const written: ChainedRecord[] = [];
      for (const e of toWrite) {
        const record = sealRecord(e, (prev?.seq ?? 0) + 1, prev?.hash ?? '', this.options.secrets);
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
      } else {
        for (const w of written) await gitRun(this.root, ['update-ref', `${CHECKPOINT_PREFIX}${w.record.seq}`, w.commit]);
      }
      const mine = written.find((w) => w.record.id === fixedId);
      return { record: mine?.record, commit: mine?.commit, duplicate, retries };
    }
    throw new AuditConflictError(`could not append to ${this.branch} after ${max} attempts: other writers kept moving it`, 'retry; the record id makes a retry safe');
  }

  /** The records of the chain ending at `tip`, oldest first (no fetch). */
  recordsAt(tip: string): Promise<ChainedRecord[]> {
    return this.between(undefined, tip);
  }

  /** Every record with the commit that added it, oldest first (after fetching the remote). */
  async records(): Promise<ChainedRecord[]> {
    const remoteTip = await this.fetch();
    const tip = remoteTip ?? (await resolveRef(this.root, this.ref));
    return tip ? this.between(undefined, tip) : [];
  }

  /** The tip commit to verify and the checkpoint tags, after fetching. */
  async snapshot(): Promise<{ tip?: string; checkpoints: { seq: number; commit: string; record?: AuditRecord }[] }> {
    const remoteTip = await this.fetch();
    const tip = remoteTip ?? (await resolveRef(this.root, this.ref));
    const out = await git(this.root, ['for-each-ref', '--format=%(refname)%1f%(objectname)%1f%(contents)%1e', CHECKPOINT_PREFIX]);
    const checkpoints = out
      .split('\x1e')
      .map((chunk) => chunk.replace(/^\n/, '').split('\x1f'))
      .filter((p) => p.length >= 3 && p[0]!.startsWith(CHECKPOINT_PREFIX))
      .map(([ref, commit, message]) => ({ seq: Number(ref!.slice(CHECKPOINT_PREFIX.length)), commit: commit!, record: recordFromMessage(message ?? '') }))
      .filter((c) => Number.isInteger(c.seq))
      .sort((a, b) => a.seq - b.seq);
    return { tip, checkpoints };
  }

  /** Lines of every day file at a commit: file → raw lines. */
  async dayFiles(commit: string): Promise<Map<string, string[]>> {
    const out = await git(this.root, ['ls-tree', '-r', '--name-only', commit]);
    const files = out.split('\n').filter((f) => f.endsWith('.jsonl'));
    const map = new Map<string, string[]>();
    for (const f of files) map.set(f, (await readBlob(this.root, commit, f)).split('\n').filter((l) => l !== ''));
    return map;
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

function stripChain(r: AuditRecord): AuditEntry {
  const { seq: _s, prev: _p, hash: _h, ...entry } = r;
  return entry;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
