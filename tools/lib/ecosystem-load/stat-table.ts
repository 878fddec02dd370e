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
//
// A large table's paths are stat'ed again by a worker thread while the main thread opens
// the parse cache: tens of thousands of stat calls are most of a warm run's file-system time,
// and they need no JavaScript. What the worker reports is used only for the table it read
// (the same seal), and only for paths the walk asks about; any other path is stat'ed then.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FileStat, Listing, ListingCache } from '../repo/paths.js';
import { cacheKey } from './parse-cache.js';

const FORMAT = 4;
/** A stat younger than this (against the read's start) is not trusted next time. */
export const SETTLE_MS = 2000;
/** Fewer new entries than this (or than 1% of the table) are not worth rewriting the table for. */
const REWRITE_AT = 50;
/** A smaller table is stat'ed on the main thread: starting a worker costs more than it saves. */
const PREFETCH_FROM_BYTES = 256 * 1024;
/** Numbers per path in a prefetch: size, mtimeMs, ctimeMs, ino (NaN: the stat failed). */
const STAT_FIELDS = 4;

/** size, mtimeMs, ctimeMs, ino, blob id */
type Entry = [number, number, number, number, string];
/** size, mtimeMs, ctimeMs, ino, entries */
type DirEntry = [number, number, number, number, Listing];

const TYPES = new Set(['d', 'f', 'l', 'o']);

/**
 * The table's bytes after its seal line: `<files> <folders> <n>\n`, then n bytes of the
 * paths (files, then folders) joined by NUL — the one byte no path holds — then the JSON of
 * `[fileEntries, folderEntries]`, each entry in its path's place. The worker needs only the paths.
 */
function splitNames(body: Uint8Array): { files: string[]; dirs: string[]; rest: Buffer } | undefined {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const nl = buf.indexOf(0x0a);
  const m = /^(\d+) (\d+) (\d+)$/.exec(buf.subarray(0, Math.max(0, nl)).toString('latin1'));
  if (!m) return undefined;
  const [nFiles, nDirs, length] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (nl + 1 + length > buf.length) return undefined;
  const names = nFiles + nDirs === 0 ? [] : buf.subarray(nl + 1, nl + 1 + length).toString('utf8').split('\0');
  if (names.length !== nFiles + nDirs) return undefined;
  return { files: names.slice(0, nFiles), dirs: names.slice(nFiles), rest: buf.subarray(nl + 1 + length) };
}

/**
 * The worker: reads the table's paths (unverified: they only say what to stat), stats each
 * under the root, and returns the seal line it read with the stats in the table's order.
 */
const PREFETCH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync, statSync } = require('node:fs');
let out = null;
try {
  const bytes = readFileSync(workerData.file);
  const nl = bytes.indexOf(10);
  const nl2 = bytes.indexOf(10, nl + 1);
  const [files, dirs, length] = bytes.subarray(nl + 1, nl2).toString('latin1').split(' ').map(Number);
  const names = files + dirs === 0 ? [] : bytes.subarray(nl2 + 1, nl2 + 1 + length).toString('utf8').split('\\0');
  if (names.length === files + dirs && names.length <= workerData.max) {
    const stats = new Float64Array(names.length * ${STAT_FIELDS}).fill(NaN);
    for (let i = 0; i < names.length; i++) {
      try {
        const st = statSync(workerData.base + names[i], { throwIfNoEntry: false });
        if (st) stats.set([st.size, st.mtimeMs, st.ctimeMs, st.ino], i * ${STAT_FIELDS});
      } catch {}
    }
    out = { seal: bytes.subarray(0, nl).toString('latin1'), stats };
  }
} catch {}
parentPort.postMessage(out, out ? [out.stats.buffer] : []);
`;

/** Stats a worker took of a table's paths (see PREFETCH_WORKER). */
export interface Prefetched {
  seal: string;
  stats: Float64Array;
}

/** An entry's stat is exactly `st` (its shape checked here, when used, not for every entry on load). */
function sameStat(e: unknown, st: FileStat): e is [number, number, number, number, unknown] {
  return Array.isArray(e) && e.length === 5 && e[0] === st.size && e[1] === st.mtimeMs && e[2] === st.ctimeMs && e[3] === st.ino;
}

function isListing(v: unknown): v is Listing {
  return Array.isArray(v) && v.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && TYPES.has(e[1] as string));
}

function fingerprint(st: FileStat): [number, number, number, number] {
  return [st.size, st.mtimeMs, st.ctimeMs, st.ino];
}

/** Paths, their place, and the entry at each place (unchecked until used). */
interface Entries {
  at: Map<string, number>;
  entries: unknown[];
}

function entryAt(table: Entries, key: string): unknown {
  const i = table.at.get(key);
  return i === undefined ? undefined : table.entries[i];
}

function entriesOf(names: string[], entries: unknown[]): Entries {
  const at = new Map<string, number>();
  for (let i = 0; i < names.length; i++) at.set(names[i]!, i);
  return { at, entries };
}

export class StatTable implements ListingCache {
  /** Entries that held this run, and new ones: what a rewrite keeps. */
  private readonly kept = new Map<string, Entry>();
  private readonly keptDirs = new Map<string, DirEntry>();
  private fresh = 0;
  /** The stats a worker took, in the table's order (files, then folders). */
  private prefetched: Float64Array | undefined;

  private constructor(
    private readonly file: string | undefined,
    private readonly key: Buffer | undefined,
    private readonly context: string,
    private readonly files: Entries,
    private readonly dirs: Entries,
    /** Reads that started before this are settled enough to trust (ms since the epoch). */
    private readonly startedAt: number,
  ) {}

  private get size(): number {
    return this.files.entries.length + this.dirs.entries.length;
  }

  /** An empty table that keeps nothing. */
  static none(): StatTable {
    return new StatTable(undefined, undefined, '', entriesOf([], []), entriesOf([], []), Date.now());
  }

  /**
   * The table of a cache folder and context; empty when missing, unsealed or of another
   * context. `prefetch` is what `StatTable.prefetch` started for the same folder and context.
   */
  static async open(dir: string | undefined, context: string, prefetch?: Promise<Prefetched | undefined>): Promise<StatTable> {
    const startedAt = Date.now();
    if (!dir) return StatTable.none();
    const key = await cacheKey(dir);
    if (!key) return StatTable.none();
    const file = StatTable.fileOf(dir, context);
    const empty = new StatTable(file, key, context, entriesOf([], []), entriesOf([], []), startedAt);
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
      const names = splitNames(body);
      if (!names) return empty;
      const parsed = JSON.parse(names.rest.toString('utf8')) as unknown;
      if (!Array.isArray(parsed) || parsed.length !== 2) return empty;
      const [files, dirs] = parsed as unknown[];
      if (!Array.isArray(files) || !Array.isArray(dirs) || files.length !== names.files.length || dirs.length !== names.dirs.length) return empty;
      const table = new StatTable(file, key, context, entriesOf(names.files, files), entriesOf(names.dirs, dirs), startedAt);
      const pre = await prefetch;
      // Only the stats of this very table: its paths, in its order.
      if (pre && pre.seal === mac && pre.stats.length === table.size * STAT_FIELDS) table.prefetched = pre.stats;
      return table;
    } catch {
      return empty;
    }
  }

  private static fileOf(dir: string, context: string): string {
    const salt = createHash('sha256').update(context).digest('hex').slice(0, 16);
    return path.join(dir, `stats-${salt}.table`);
  }

  /**
   * Starts a worker stat'ing the paths of the table of `dir` and `context` under `root` (at
   * most `max` of them), to hand to `open`; undefined when there is no table worth it (under
   * `minBytes`, by default PREFETCH_FROM_BYTES). Never rejects.
   */
  static async prefetch(dir: string, context: string, root: string, limits: { max: number; minBytes?: number }): Promise<Prefetched | undefined> {
    const file = StatTable.fileOf(dir, context);
    const { max } = limits;
    try {
      if ((await stat(file)).size < (limits.minBytes ?? PREFETCH_FROM_BYTES)) return undefined;
    } catch {
      return undefined;
    }
    return new Promise((resolve) => {
      try {
        const worker = new Worker(PREFETCH_WORKER, { eval: true, workerData: { file, base: `${path.resolve(root)}${path.sep}`, max } });
        worker.unref();
        worker.once('message', (out: Prefetched | null) => resolve(out ?? undefined));
        worker.once('error', () => resolve(undefined));
        worker.once('exit', () => resolve(undefined));
      } catch {
        resolve(undefined);
      }
    });
  }

  private prefetchedAt(index: number | undefined): FileStat | undefined {
    const stats = this.prefetched;
    if (!stats || index === undefined) return undefined;
    const at = index * STAT_FIELDS;
    if (Number.isNaN(stats[at])) return undefined;
    return { size: stats[at]!, mtimeMs: stats[at + 1]!, ctimeMs: stats[at + 2]!, ino: stats[at + 3]! };
  }

  /** The stat of a file (`file` relative, `abs` its path): the worker's if it took one, else taken now. */
  statFile(file: string, abs: string): FileStat {
    return this.prefetchedAt(this.files.at.get(file)) ?? statSync(abs);
  }

  /** The stat of a folder, likewise. */
  statDir(dir: string, abs: string): FileStat {
    const i = this.dirs.at.get(dir);
    return this.prefetchedAt(i === undefined ? undefined : this.files.entries.length + i) ?? statSync(abs);
  }

  /** The blob id of the bytes `file` held when last read, if its stat is exactly the same now. */
  lookup(file: string, st: FileStat): string | undefined {
    const e = entryAt(this.files, file);
    if (!sameStat(e, st) || typeof e[4] !== 'string' || !/^[0-9a-f]{40}$/.test(e[4])) return undefined;
    this.kept.set(file, e as Entry);
    return e[4];
  }

  /** Keeps what was read from `file` under the stat taken of the open file before reading. */
  record(file: string, st: FileStat, id: string): void {
    if (!this.file || !this.settled(st)) return;
    this.kept.set(file, [...fingerprint(st), id]);
    this.fresh++;
  }

  /** A stat not settled before the run began may not change when the file or folder does. */
  private settled(st: FileStat): boolean {
    return Math.max(st.mtimeMs, st.ctimeMs) <= this.startedAt - SETTLE_MS;
  }

  /** The entries of folder `dir` when last listed, if its stat is exactly the same now. */
  get(dir: string, st: FileStat): Listing | undefined {
    const e = entryAt(this.dirs, dir);
    if (!sameStat(e, st) || !isListing(e[4])) return undefined;
    this.keptDirs.set(dir, e as DirEntry);
    return e[4];
  }

  /** Keeps the entries of folder `dir`, listed after its stat was taken. */
  set(dir: string, st: FileStat, listing: Listing): void {
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
    const names = Buffer.from([...this.kept.keys(), ...this.keptDirs.keys()].join('\0'));
    const body = Buffer.concat([
      Buffer.from(`${this.kept.size} ${this.keptDirs.size} ${names.byteLength}\n`),
      names,
      Buffer.from(JSON.stringify([[...this.kept.values()], [...this.keptDirs.values()]])),
    ]);
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
