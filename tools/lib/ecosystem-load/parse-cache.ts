// A cache of parsed files keyed by git blob id (content hash), so a warm run reads JSON
// instead of YAML: JSON.parse is ~60x faster than the yaml package.
//
// The cache can cost a run time, never change its verdict. Each entry is bound to the blob
// id of the bytes actually read, to the repository (its real path), to the tool version,
// the schemas and the parse limits, and sealed with an HMAC-SHA256 under a random key kept
// beside it (mode 0600, created on first use). An entry whose seal does not verify —
// tampered, truncated, malformed, written for another repository or another version, or
// sealed under another key — is ignored, and its file parsed again.
//
// The key only keeps out writers that cannot read it: code running as the same user can
// read the key and forge entries. So on GitHub Actions the default cache is per job (under
// $RUNNER_TEMP), never a folder a self-hosted runner shares between jobs.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFile, lstat, mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TOOL_VERSION } from '../version.js';
import { KIND_SCHEMAS } from '../manifest/kinds.js';
import { summarize } from '../manifest/ecosystem.js';
import { DEFAULT_LIMITS, type DocumentSummary, type LoadLimits, type ParsedContent } from '../manifest/load.js';

/** Bumped whenever the parsed shape or the file format changes. */
const FORMAT = 8;
/** Cached schema verdicts are only valid for the schemas that gave them. */
const SCHEMA_HASH = createHash('sha1').update(JSON.stringify(KIND_SCHEMAS)).digest('hex');
const KEY_FILE = 'key';
const MAC_HEX = 64;
const ID_HEX = 40;
const JOURNAL_LINE = /^[0-9a-f]{64} [0-9a-f]{40} \{/;

export function blobId(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

/**
 * $MNOPS_CACHE_DIR; on GitHub Actions, a folder of this job's $RUNNER_TEMP (none without
 * it); otherwise $XDG_CACHE_HOME/mnops or ~/.cache/mnops.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MNOPS_CACHE_DIR) return env.MNOPS_CACHE_DIR;
  if (env.GITHUB_ACTIONS === 'true') return env.RUNNER_TEMP ? path.join(env.RUNNER_TEMP, 'mnops-parse-cache') : undefined;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'mnops');
}

/** The limits that change what a parse returns (the repository-wide caps do not). */
function parseLimits(limits: LoadLimits): string {
  const { maxFileBytes, maxDepth, maxNodes, maxAliases, maxDocuments } = limits;
  return JSON.stringify({ maxFileBytes, maxDepth, maxNodes, maxAliases, maxDocuments });
}

/** What every entry of a repository's cache is bound to: format, tool version, schemas, limits, repository. */
export async function cacheContext(root: string, limits: LoadLimits = DEFAULT_LIMITS, toolVersion = TOOL_VERSION): Promise<string> {
  let repo: string;
  try {
    repo = await realpath(root);
  } catch {
    repo = path.resolve(root);
  }
  return JSON.stringify(['mnops-parse-cache', FORMAT, toolVersion, SCHEMA_HASH, parseLimits(limits), repo]);
}

/**
 * This cache's key: 32 random bytes in `dir/key`, created with mode 0600 on first use. A key
 * file that is not a plain file of ours, private to us, is not trusted: no key, no cache.
 */
export async function cacheKey(dir: string): Promise<Buffer | undefined> {
  const file = path.join(dir, KEY_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const st = await lstat(file);
      if (!st.isFile()) return undefined;
      if (process.platform !== 'win32') {
        if ((st.mode & 0o077) !== 0) return undefined;
        if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return undefined;
      }
      const hex = (await readFile(file, 'utf8')).trim();
      return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    }
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // 'wx': of two first runs, one creates the key and the other reads it.
      await writeFile(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
    }
  }
  return undefined;
}

/** An entry as used: what its documents are, and each one's value as JSON text (or bytes of it). */
interface Entry {
  /** `{ documents, findings }`, its shape checked when the entry is used. */
  meta: unknown;
  values: (string | Uint8Array)[];
}

/** A journal line not yet used: its seal is checked on first use. */
interface Sealed {
  mac: string;
  json: string;
}

/**
 * The base is rewritten whole (temp file and rename): `<seal>\n<n>\n<index><values>`, the
 * seal being of everything after its line, the index n bytes of JSON (blob id → documents,
 * findings and where each document's value lies in the values), the values the JSON texts
 * of the documents one after another — so one seal is checked and one JSON parsed on
 * opening, and a value is decoded only when something reads it. The journal is appended to,
 * one entry a line `<hmac> <blob id> <json>`, and a torn last line simply fails its seal. The
 * journal is folded into the base when it grows past a quarter of it (or stale entries pile up).
 */
export class ParseCache {
  private used = new Map<string, Entry>();
  private fresh = new Map<string, Entry>();

  private constructor(
    private readonly file: string | undefined,
    private readonly key: Buffer | undefined,
    /** What every entry is bound to: format, tool version, schemas, limits, repository. */
    readonly context: string,
    private readonly entries: Map<string, Entry | Sealed>,
    private readonly journalLines: number,
    /** The journal ends in a torn line: the next append starts on a line of its own. */
    private readonly tornJournal: boolean,
    /** The cache folder; undefined when there is no usable cache. */
    readonly dir?: string,
  ) {}

  private static journalOf(file: string): string {
    return file.replace(/\.cache$/, '.journal');
  }

  /**
   * Opens the cache for a repository root; any problem just yields an empty cache.
   * `toolVersion` is for tests only: the entries of another version are never read.
   */
  static async open(root: string, dir: string | undefined, limits: LoadLimits = DEFAULT_LIMITS, options: { toolVersion?: string } = {}): Promise<ParseCache> {
    const none = new ParseCache(undefined, undefined, '', new Map(), 0, false);
    if (!dir) return none;
    const key = await cacheKey(dir);
    if (!key) return none;
    const context = await cacheContext(root, limits, options.toolVersion);
    const salt = createHash('sha256').update(context).digest('hex').slice(0, 16);
    const file = path.join(dir, `parse-${salt}.cache`);
    const entries = new Map<string, Entry | Sealed>();
    const read = async (f: string): Promise<Buffer> => {
      try {
        return await readFile(f);
      } catch {
        return Buffer.alloc(0); // not there yet
      }
    };
    readBase(await read(file), key, context, entries);
    const journal = (await read(ParseCache.journalOf(file))).toString('utf8');
    let journalLines = 0;
    for (const line of journal.split('\n')) {
      if (!line) continue;
      journalLines++;
      // Only the shape is checked here; the seal is checked when an entry is used.
      if (line.length < MAC_HEX + ID_HEX + 3 || !JOURNAL_LINE.test(line)) continue;
      entries.set(line.slice(MAC_HEX + 1, MAC_HEX + 1 + ID_HEX), { mac: line.slice(0, MAC_HEX), json: line.slice(MAC_HEX + ID_HEX + 2) });
    }
    return new ParseCache(file, key, context, entries, journalLines, journal.length > 0 && !journal.endsWith('\n'), dir);
  }

  private seal(id: string, json: string): string {
    return createHmac('sha256', this.key!).update(this.context).update('\n').update(id).update('\n').update(json).digest('hex');
  }

  /** The entry of a blob, its journal seal checked; undefined when missing or its seal fails. */
  private entry(id: string): Entry | undefined {
    const e = this.entries.get(id);
    if (e === undefined || !this.key) return undefined;
    if (!('mac' in e)) return e;
    if (!timingSafeEqual(Buffer.from(this.seal(id, e.json), 'hex'), Buffer.from(e.mac, 'hex'))) return undefined;
    let parsed: { documents?: unknown; findings?: unknown; values?: unknown };
    try {
      parsed = JSON.parse(e.json) as typeof parsed;
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed.values) || !parsed.values.every((v) => typeof v === 'string')) return undefined;
    const entry: Entry = { meta: { documents: parsed.documents, findings: parsed.findings }, values: parsed.values };
    this.entries.set(id, entry);
    return entry;
  }

  /**
   * The cached parse of this blob, if its entry's seal verifies and its shape is right. Each
   * document's value comes as JSON text, parsed only if something reads it; a valid
   * platform's comes with the summary indexing reads instead.
   */
  get(id: string): CachedContent | undefined {
    const e = this.entry(id);
    if (!e || !isCachedMeta(e.meta, e.values.length)) return undefined;
    this.used.set(id, e);
    return {
      documents: e.meta.documents.map((d) => {
        return { index: d.index, json: e.values[d.v]!, ...(d.schemaOk ? { schemaOk: true } : {}), ...(d.summary ? { summary: d.summary } : {}) };
      }),
      findings: e.meta.findings,
    };
  }

  /**
   * The values of a cached blob as far as its keys go (kind, name, what it provides and
   * consumes), without parsing a platform whole; undefined when the blob is not cached.
   */
  keyValuesOf(id: string): unknown[] | undefined {
    const content = this.get(id);
    if (!content) return undefined;
    return content.documents.map((d) => (d.summary ? { kind: d.summary.kind, metadata: { name: d.summary.name }, spec: d.summary.links } : parseJsonText(d.json!)));
  }

  /**
   * Stores a parse without its position maps (they are most of its size and are rebuilt
   * from the file when a finding needs one), but with each document's schema verdict, and
   * a valid platform's summary.
   */
  set(id: string, content: ParsedContent): void {
    // A document with no value at all has no JSON text: such a file is parsed every time.
    if (!this.key || content.documents.some((d) => d.value === undefined)) return;
    const values: string[] = [];
    const documents = content.documents.map((d) => {
      values.push(JSON.stringify(d.value));
      const platform = d.schemaOk && (d.value as { kind?: unknown } | null)?.kind === 'Platform';
      return { index: d.index, v: values.length - 1, ...(d.schemaOk ? { schemaOk: true } : {}), ...(platform ? { summary: summarize(d.value) } : {}) };
    });
    const entry: Entry = { meta: { documents, findings: content.findings }, values };
    this.used.set(id, entry);
    this.fresh.set(id, entry);
  }

  async save(): Promise<void> {
    if (!this.file || !this.key) return;
    const journal = ParseCache.journalOf(this.file);
    const stale = this.entries.size - (this.used.size - this.fresh.size);
    const compact =
      this.journalLines + this.fresh.size > Math.max(200, this.entries.size / 4) || stale > Math.max(200, this.entries.size / 4);
    try {
      await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      if (compact) {
        const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
        try {
          await writeFile(tmp, writeBase(this.used, this.key, this.context), { mode: 0o600, flag: 'wx' });
          await rename(tmp, this.file);
        } finally {
          await rm(tmp, { force: true });
        }
        await rm(journal, { force: true });
      } else if (this.fresh.size > 0) {
        let text = this.tornJournal ? '\n' : '';
        for (const [id, e] of this.fresh) {
          const json = JSON.stringify({ ...(e.meta as object), values: e.values });
          text += `${this.seal(id, json)} ${id} ${json}\n`;
        }
        await appendFile(journal, text, { mode: 0o600 });
      }
    } catch {
      // A cache that cannot be written only costs speed next time.
    }
  }
}

/** The seal of a base file: of all its bytes after the seal's line. */
function sealBase(key: Buffer, context: string, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update('base\n').update(context).update('\n').update(body).digest();
}

/** Reads a base into `entries`; a base whose seal does not verify, or that is malformed, is dropped whole. */
function readBase(base: Buffer, key: Buffer, context: string, entries: Map<string, Entry | Sealed>): void {
  const nl = base.indexOf(0x0a);
  if (nl !== MAC_HEX) return;
  const mac = base.subarray(0, nl).toString('latin1');
  const body = base.subarray(nl + 1);
  if (!/^[0-9a-f]{64}$/.test(mac) || !timingSafeEqual(Buffer.from(mac, 'hex'), sealBase(key, context, body))) return;
  const nl2 = body.indexOf(0x0a);
  const length = Number(body.subarray(0, Math.max(0, nl2)).toString('latin1'));
  if (nl2 < 0 || !Number.isSafeInteger(length) || length < 0 || nl2 + 1 + length > body.length) return;
  const values = body.subarray(nl2 + 1 + length);
  let index: unknown;
  try {
    index = JSON.parse(body.subarray(nl2 + 1, nl2 + 1 + length).toString('utf8'));
  } catch {
    return;
  }
  if (index === null || typeof index !== 'object' || Array.isArray(index)) return;
  for (const [id, e] of Object.entries(index as Record<string, unknown>)) {
    const { meta, at } = (e ?? {}) as { meta?: unknown; at?: unknown };
    if (!/^[0-9a-f]{40}$/.test(id) || !Array.isArray(at)) continue;
    const ranges: Uint8Array[] = [];
    for (const r of at as unknown[]) {
      const [from, to] = Array.isArray(r) ? (r as unknown[]) : [];
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || (from as number) < 0 || (to as number) < (from as number) || (to as number) > values.length) break;
      ranges.push(values.subarray(from as number, to as number));
    }
    if (ranges.length === at.length) entries.set(id, { meta, values: ranges });
  }
}

/** A base of these entries (see ParseCache), sealed. */
function writeBase(entries: Map<string, Entry>, key: Buffer, context: string): Buffer {
  const index: Record<string, { meta: unknown; at: [number, number][] }> = {};
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [id, e] of entries) {
    const at: [number, number][] = [];
    for (const v of e.values) {
      const bytes = typeof v === 'string' ? Buffer.from(v) : v;
      at.push([offset, offset + bytes.byteLength]);
      offset += bytes.byteLength;
      parts.push(bytes);
    }
    index[id] = { meta: e.meta, at };
  }
  const json = Buffer.from(JSON.stringify(index));
  const body = Buffer.concat([Buffer.from(`${json.byteLength}\n`), json, ...parts]);
  return Buffer.concat([Buffer.from(`${sealBase(key, context, body).toString('hex')}\n`), body]);
}

/** JSON text, given as a string or as its UTF-8 bytes. */
export function parseJsonText(json: string | Uint8Array): unknown {
  return JSON.parse(typeof json === 'string' ? json : Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'));
}

/** A cached document: its value as JSON text (or, parsed fresh, the value), and a valid platform's summary. */
export interface CachedDocument {
  index: number;
  value?: unknown;
  /** The value's JSON text, or its UTF-8 bytes (decoded only when read). */
  json?: string | Uint8Array;
  summary?: DocumentSummary;
  schemaOk?: boolean;
}

export interface CachedContent {
  documents: CachedDocument[];
  findings: ParsedContent['findings'];
}

interface CachedMeta {
  documents: { index: number; v: number; schemaOk?: true; summary?: DocumentSummary }[];
  findings: ParsedContent['findings'];
}

/** The shape `set` writes: documents with an index and their value's place (and a summary only if valid), findings with a rule and a place. */
function isCachedMeta(v: unknown, values: number): v is CachedMeta {
  if (v === null || typeof v !== 'object') return false;
  const { documents, findings } = v as { documents?: unknown; findings?: unknown };
  if (!Array.isArray(documents) || !Array.isArray(findings)) return false;
  for (const d of documents) {
    if (d === null || typeof d !== 'object') return false;
    const { index, v: at, schemaOk, summary } = d as { index?: unknown; v?: unknown; schemaOk?: unknown; summary?: unknown };
    if (!Number.isInteger(index) || !Number.isInteger(at) || (at as number) < 0 || (at as number) >= values) return false;
    if (schemaOk !== undefined && schemaOk !== true) return false;
    if (summary !== undefined && (schemaOk !== true || !isSummary(summary))) return false;
  }
  for (const f of findings) {
    if (f === null || typeof f !== 'object') return false;
    const { ruleId, severity, message, line, column } = f as Record<string, unknown>;
    if (typeof ruleId !== 'string' || typeof severity !== 'string' || typeof message !== 'string' || !Number.isInteger(line) || !Number.isInteger(column)) return false;
  }
  return true;
}

function isSummary(v: unknown): v is DocumentSummary {
  if (v === null || typeof v !== 'object') return false;
  const { kind, name, links } = v as { kind?: unknown; name?: unknown; links?: unknown };
  return kind === 'Platform' && typeof name === 'string' && links !== null && typeof links === 'object';
}
