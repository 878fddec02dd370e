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
import { DEFAULT_LIMITS, type LoadLimits, type ParsedContent } from '../manifest/load.js';

/** Bumped whenever the parsed shape or the file format changes. */
const FORMAT = 5;
/** Cached schema verdicts are only valid for the schemas that gave them. */
const SCHEMA_HASH = createHash('sha1').update(JSON.stringify(KIND_SCHEMAS)).digest('hex');
const KEY_FILE = 'key';
const MAC_HEX = 64;
const ID_HEX = 40;
const LINE = /^[0-9a-f]{64} [0-9a-f]{40} \{/;

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

interface Sealed {
  mac: string;
  json: string;
}

/**
 * Files hold one entry a line: `<hmac> <blob id> <json>`. The base is rewritten whole (temp
 * file and rename); the journal is appended to, and a torn last line simply fails its seal.
 * The journal is folded into the base when it grows past a quarter of it (or stale entries
 * pile up).
 */
export class ParseCache {
  private used = new Map<string, Sealed>();
  private fresh = new Map<string, Sealed>();

  private constructor(
    private readonly file: string | undefined,
    private readonly key: Buffer | undefined,
    /** What every entry is bound to: format, tool version, schemas, limits, repository. */
    readonly context: string,
    private readonly entries: Map<string, Sealed>,
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
    let repo: string;
    try {
      repo = await realpath(root);
    } catch {
      repo = path.resolve(root);
    }
    const context = JSON.stringify(['mnops-parse-cache', FORMAT, options.toolVersion ?? TOOL_VERSION, SCHEMA_HASH, parseLimits(limits), repo]);
    const salt = createHash('sha256').update(context).digest('hex').slice(0, 16);
    const file = path.join(dir, `parse-${salt}.cache`);
    const entries = new Map<string, Sealed>();
    const load = async (f: string): Promise<{ lines: number; torn: boolean }> => {
      let text: string;
      try {
        text = await readFile(f, 'utf8');
      } catch {
        return { lines: 0, torn: false }; // not there yet
      }
      let lines = 0;
      for (const line of text.split('\n')) {
        if (!line) continue;
        lines++;
        // Only the shape is checked here; the seal is checked when an entry is used.
        if (line.length < MAC_HEX + ID_HEX + 3 || !LINE.test(line)) continue;
        entries.set(line.slice(MAC_HEX + 1, MAC_HEX + 1 + ID_HEX), { mac: line.slice(0, MAC_HEX), json: line.slice(MAC_HEX + ID_HEX + 2) });
      }
      return { lines, torn: text.length > 0 && !text.endsWith('\n') };
    };
    await load(file);
    const journal = await load(ParseCache.journalOf(file));
    return new ParseCache(file, key, context, entries, journal.lines, journal.torn, dir);
  }

  private seal(id: string, json: string): string {
    return createHmac('sha256', this.key!).update(this.context).update('\n').update(id).update('\n').update(json).digest('hex');
  }

  /** The cached parse of this blob, if its entry's seal verifies and its shape is right. */
  get(id: string): ParsedContent | undefined {
    const hit = this.entries.get(id);
    if (hit === undefined || !this.key) return undefined;
    const expected = Buffer.from(this.seal(id, hit.json), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(hit.mac, 'hex'))) return undefined;
    let content: unknown;
    try {
      content = JSON.parse(hit.json);
    } catch {
      return undefined;
    }
    if (!isParsedContent(content)) return undefined;
    this.used.set(id, hit);
    return content;
  }

  /**
   * Stores a parse without its position maps (they are most of its size and are rebuilt
   * from the file when a finding needs one), but with each document's schema verdict.
   */
  set(id: string, content: ParsedContent): void {
    if (!this.key) return;
    const json = JSON.stringify({
      documents: content.documents.map((d) => ({ index: d.index, value: d.value, ...(d.schemaOk ? { schemaOk: true } : {}) })),
      findings: content.findings,
    });
    const sealed = { mac: this.seal(id, json), json };
    this.used.set(id, sealed);
    this.fresh.set(id, sealed);
  }

  async save(): Promise<void> {
    if (!this.file || !this.key) return;
    const journal = ParseCache.journalOf(this.file);
    const stale = this.entries.size - (this.used.size - this.fresh.size);
    const compact =
      this.journalLines + this.fresh.size > Math.max(200, this.entries.size / 4) || stale > Math.max(200, this.entries.size / 4);
    const lines = (entries: Map<string, Sealed>) => {
      let text = '';
      for (const [id, { mac, json }] of entries) text += `${mac} ${id} ${json}\n`;
      return text;
    };
    try {
      await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      if (compact) {
        const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
        try {
          await writeFile(tmp, lines(this.used), { mode: 0o600, flag: 'wx' });
          await rename(tmp, this.file);
        } finally {
          await rm(tmp, { force: true });
        }
        await rm(journal, { force: true });
      } else if (this.fresh.size > 0) {
        await appendFile(journal, `${this.tornJournal ? '\n' : ''}${lines(this.fresh)}`, { mode: 0o600 });
      }
    } catch {
      // A cache that cannot be written only costs speed next time.
    }
  }
}

/** The shape `set` writes: documents with an index and a value, findings with a rule and a place. */
function isParsedContent(v: unknown): v is ParsedContent {
  if (v === null || typeof v !== 'object') return false;
  const { documents, findings } = v as { documents?: unknown; findings?: unknown };
  if (!Array.isArray(documents) || !Array.isArray(findings)) return false;
  for (const d of documents) {
    if (d === null || typeof d !== 'object' || !Number.isInteger((d as { index?: unknown }).index) || !('value' in d)) return false;
    const ok = (d as { schemaOk?: unknown }).schemaOk;
    if (ok !== undefined && ok !== true) return false;
  }
  for (const f of findings) {
    if (f === null || typeof f !== 'object') return false;
    const { ruleId, severity, message, line, column } = f as Record<string, unknown>;
    if (typeof ruleId !== 'string' || typeof severity !== 'string' || typeof message !== 'string' || !Number.isInteger(line) || !Number.isInteger(column)) return false;
  }
  return true;
}
