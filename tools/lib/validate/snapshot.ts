// What the last full validate of a repository found, kept beside the parse cache so the next
// run judges again only what changed since. Bound to everything the findings depend on —
// each manifest file's blob id, the policy bundle's sha256, the judged settings and
// exceptions, the day (exception expiry), the tool version and the schemas — and sealed with
// the cache's HMAC key. A snapshot that is tampered, truncated, for another repository or
// made under other rules is not used: the run is a full one, and writes a new snapshot.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Ecosystem } from '../manifest/ecosystem.js';
import type { WaivedFinding } from '../policy/index.js';
import type { Finding } from '../report/finding.js';
import { cacheKey } from '../ecosystem-load/parse-cache.js';

const FORMAT = 4;

export interface SnapshotKey {
  /** sha256 of the policy bundle that judged. */
  bundle: string;
  /** Hash of the settings and exceptions that judged (as loaded). */
  governance: string;
  /** The day judged on: exceptions expire by the day. */
  today: string;
}

export interface Snapshot {
  key: SnapshotKey;
  /** Manifest file → blob id. */
  files: Record<string, string>;
  /** The policy findings and the waived ones, of the whole ecosystem. */
  findings: Finding[];
  waived: WaivedFinding[];
  /** The reference check's findings, of the whole ecosystem. */
  references: Finding[];
  /** The secret reference check's findings, of the whole ecosystem. */
  secrets: Finding[];
  /** Environments whose secret check read files (checked again every run). */
  fileBacked: string[];
}

/** The governance the policies judged by, as one hash. */
export function governanceHash(eco: Pick<Ecosystem, 'settings' | 'exceptions'>): string {
  const h = createHash('sha256');
  for (const m of [eco.settings, eco.exceptions]) {
    for (const [name, rec] of [...m].sort(([a], [b]) => (a < b ? -1 : 1))) h.update(JSON.stringify([name, rec.file, rec.manifest])).update('\n');
    h.update('--\n');
  }
  return h.digest('hex');
}

function sameKey(a: SnapshotKey, b: SnapshotKey): boolean {
  return a.bundle === b.bundle && a.governance === b.governance && a.today === b.today;
}

export class SnapshotStore {
  private constructor(
    private readonly file: string,
    private readonly key: Buffer,
    private readonly context: string,
  ) {}

  /** The store for a cache folder and a repository context; undefined without a usable cache key. */
  static async open(dir: string | undefined, context: string): Promise<SnapshotStore | undefined> {
    if (!dir) return undefined;
    const key = await cacheKey(dir);
    if (!key) return undefined;
    const salt = createHash('sha256').update(context).digest('hex').slice(0, 16);
    return new SnapshotStore(path.join(dir, `findings-${salt}.snapshot`), key, context);
  }

  private seal(body: Uint8Array): Buffer {
    return createHmac('sha256', this.key).update(`mnops-findings-snapshot ${FORMAT}\n`).update(this.context).update('\n').update(body).digest();
  }

  /** The snapshot, if its seal verifies and it was made under `key`. */
  async read(key: SnapshotKey): Promise<Snapshot | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file);
    } catch {
      return undefined;
    }
    const nl = bytes.indexOf(0x0a);
    if (nl !== 64) return undefined;
    const mac = bytes.subarray(0, 64).toString('latin1');
    const body = bytes.subarray(65);
    if (!/^[0-9a-f]{64}$/.test(mac) || !timingSafeEqual(Buffer.from(mac, 'hex'), this.seal(body))) return undefined;
    let snap: Snapshot;
    try {
      snap = JSON.parse(body.toString('utf8')) as Snapshot;
    } catch {
      return undefined;
    }
    if (!snap || typeof snap !== 'object' || !snap.key || !sameKey(snap.key, key)) return undefined;
    if (!Array.isArray(snap.findings) || !Array.isArray(snap.waived) || !Array.isArray(snap.references) || !Array.isArray(snap.secrets) || !Array.isArray(snap.fileBacked) || snap.files === null || typeof snap.files !== 'object') return undefined;
    return snap;
  }

  async write(snap: Snapshot): Promise<void> {
    const body = Buffer.from(JSON.stringify(snap));
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, Buffer.concat([Buffer.from(`${this.seal(body).toString('hex')}\n`), body]), { mode: 0o600, flag: 'wx' });
      await rename(tmp, this.file);
    } catch {
      // A snapshot that cannot be written only costs the next run its head start.
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

/** Files whose blob differs between the snapshot and now, added or gone. */
export function changedSince(snap: Snapshot, now: Map<string, string>): string[] {
  const out = new Set<string>();
  for (const [file, id] of now) if (snap.files[file] !== id) out.add(file);
  for (const file of Object.keys(snap.files)) if (!now.has(file)) out.add(file);
  return [...out].sort();
}

/**
 * Whether a finding of the snapshot stands for what a slice evaluation did not judge again:
 * a platform's manifest outside the slice's platforms, or anything in an environment outside
 * its environments (the small collections are judged again by every slice).
 */
export function outsideSlice(f: Finding, slice: { platforms: ReadonlySet<string>; environments: ReadonlySet<string> }): boolean {
  if (f.kind === 'Platform') return f.environment !== undefined ? !slice.environments.has(f.environment) : f.name !== undefined && !slice.platforms.has(f.name);
  if (f.kind === 'PlatformInstance') return f.environment !== undefined && !slice.environments.has(f.environment);
  return false;
}
