// What the last run read, file by file: the file's stat and the blob id of its bytes, so the
// next run need not read a file whose stat is unchanged — the rule git's index lives by. And
// folder by folder, the folder's stat and its entries: adding, removing or renaming an entry
// changes a folder's stat, so an unchanged one need not be listed again.
//
// A file's size, modification time, change time and inode all stay the same only if it was
// not written: writing sets the change time, which no ordinary user can set back (utimes
// sets only the access and modification times). A stat taken within SETTLE_MS of a write
// is not kept, since a second write in the same clock tick would leave the stat as it was
// ("racy" in git's words): such a file is read again next time.
//
// The table is sealed with the parse cache's HMAC key and bound to its context (repository,
// tool version, schemas, limits); a table that does not verify is ignored and every file read.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Listing, ListingCache } from '../repo/paths.js';
import { cacheKey } from './parse-cache.js';

const FORMAT = 3;
/** A stat younger than this (against the read's start) is not trusted next time. */
export const SETTLE_MS = 2000;
/** Fewer new entries than this (or than 1% of the table) are not worth rewriting the table for. */
const REWRITE_AT = 50;

/** size, mtimeMs, ctimeMs, ino, blob id */
type Entry = [number, number, number, number, string];
/** size, mtimeMs, ctimeMs, ino, entries */
type DirEntry = [number, number, number, number, Listing];
type Table<E> = Record<string, E>;

const TYPES = new Set(['d', 'f', 'l', 'o']);

/** An entry's stat is exactly `st` (its shape checked here, when used, not for every entry on load). */
function sameStat(e: unknown, st: Stats): e is [number, number, number, number, unknown] {
  return Array.isArray(e) && e.length === 5 && e[0] === st.size && e[1] === st.mtimeMs && e[2] === st.ctimeMs && e[3] === st.ino;
}

function isListing(v: unknown): v is Listing {
  return Array.isArray(v) && v.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && TYPES.has(e[1] as string));
}

function fingerprint(st: Stats): [number, number, number, number] {
  return [st.size, st.mtimeMs, st.ctimeMs, st.ino];
}

function own<E>(table: Table<E>, key: string): E | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

export class StatTable implements ListingCache {
  /** Entries that held this run, and new ones: what a rewrite keeps. */
  private readonly kept = new Map<string, Entry>();
  private readonly keptDirs = new Map<string, DirEntry>();
  private fresh = 0;

  private constructor(
    private readonly file: string | undefined,
    private readonly key: Buffer | undefined,
    private readonly context: string,
    private readonly files: Table<Entry>,
    private readonly dirs: Table<DirEntry>,
    private readonly size: number,
    /** Reads that started before this are settled enough to trust (ms since the epoch). */
    private readonly startedAt: number,
  ) {}

  /** An empty table that keeps nothing. */
  static none(): StatTable {
    return new StatTable(undefined, undefined, '', {}, {}, 0, Date.now());
  }

  /** The table of a cache folder and context; empty when missing, unsealed or of another context. */
  static async open(dir: string | undefined, context: string): Promise<StatTable> {
    const startedAt = Date.now();
    if (!dir) return StatTable.none();
    const key = await cacheKey(dir);
    if (!key) return StatTable.none();
    const salt = createHash('sha256').update(context).digest('hex').slice(0, 16);
    const file = path.join(dir, `stats-${salt}.table`);
    const empty = new StatTable(file, key, context, {}, {}, 0, startedAt);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      return empty;
    }
    const nl = bytes.indexOf(0x0a);
    const mac = bytes.subarray(0, nl).toString('latin1');
    const body = bytes.subarray(nl + 1);
    if (nl !== 64 || !/^[0-9a-f]{64}$/.test(mac) || !timingSafeEqual(Buffer.from(mac, 'hex'), seal(key, context, body))) return empty;
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { files?: unknown; dirs?: unknown; size?: unknown } | null;
      const { files, dirs, size } = parsed ?? {};
      if (files === null || typeof files !== 'object' || Array.isArray(files) || dirs === null || typeof dirs !== 'object' || Array.isArray(dirs) || typeof size !== 'number') return empty;
      return new StatTable(file, key, context, files as Table<Entry>, dirs as Table<DirEntry>, size, startedAt);
    } catch {
      return empty;
    }
  }

  /** The blob id of the bytes `file` held when last read, if its stat is exactly the same now. */
  lookup(file: string, st: Stats): string | undefined {
    const e = own(this.files, file);
    if (!sameStat(e, st) || typeof e[4] !== 'string' || !/^[0-9a-f]{40}$/.test(e[4])) return undefined;
    this.kept.set(file, e as Entry);
    return e[4];
  }

  /** Keeps what was read from `file` under the stat taken of the open file before reading. */
  record(file: string, st: Stats, id: string): void {
    if (!this.file || !this.settled(st)) return;
    this.kept.set(file, [...fingerprint(st), id]);
    this.fresh++;
  }

  /** A stat not settled before the run began may not change when the file or folder does. */
  private settled(st: Stats): boolean {
    return Math.max(st.mtimeMs, st.ctimeMs) <= this.startedAt - SETTLE_MS;
  }

  /** The entries of folder `dir` when last listed, if its stat is exactly the same now. */
  get(dir: string, st: Stats): Listing | undefined {
    const e = own(this.dirs, dir);
    if (!sameStat(e, st) || !isListing(e[4])) return undefined;
    this.keptDirs.set(dir, e as DirEntry);
    return e[4];
  }

  /** Keeps the entries of folder `dir`, listed after its stat was taken. */
  set(dir: string, st: Stats, listing: Listing): void {
    if (!this.file || !this.settled(st)) return;
    this.keptDirs.set(dir, [...fingerprint(st), listing]);
    this.fresh++;
  }

  /**
   * Writes the table of this run (temp file and rename) when it learnt enough to be worth
   * rewriting, or when entries that no longer hold pile up. A file it did not learn is just
   * read again next time; an entry that no longer holds is harmless meanwhile: a file's
   * change time never goes back, so it cannot match again.
   */
  async save(): Promise<void> {
    if (!this.file || !this.key) return;
    const stale = this.size - (this.kept.size + this.keptDirs.size - this.fresh);
    const worth = Math.max(REWRITE_AT, this.size / 100);
    if (this.fresh < worth && stale <= Math.max(REWRITE_AT, this.size / 4)) return;
    const body = Buffer.from(JSON.stringify({ files: Object.fromEntries(this.kept), dirs: Object.fromEntries(this.keptDirs), size: this.kept.size + this.keptDirs.size }));
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, Buffer.concat([Buffer.from(`${seal(this.key, this.context, body).toString('hex')}\n`), body]), { mode: 0o600, flag: 'wx' });
      await rename(tmp, this.file);
    } catch {
      // Only costs the next run its reads.
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

function seal(key: Buffer, context: string, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update(`mnops-stat-table ${FORMAT}\n`).update(context).update('\n').update(body).digest();
}
