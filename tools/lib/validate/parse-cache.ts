// A cache of parsed files keyed by git blob id (content hash), so a warm run reads JSON
// instead of YAML: JSON.parse is ~60x faster than the yaml package (DESIGN §9).
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TOOL_VERSION } from '../version.js';
import { KIND_SCHEMAS } from '../manifest/kinds.js';
import { DEFAULT_LIMITS, type LoadLimits, type ParsedContent } from '../manifest/load.js';

/** Bumped whenever the parsed shape changes. */
const FORMAT = 4;
/** Cached schema verdicts are only valid for the schemas that gave them. */
const SCHEMA_HASH = createHash('sha1').update(JSON.stringify(KIND_SCHEMAS)).digest('hex');

export function blobId(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

export function defaultCacheDir(): string {
  if (process.env.MNOPS_CACHE_DIR) return process.env.MNOPS_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'mnops');
}

/**
 * A base file plus an append-only journal: a warm run that changed a few files appends a
 * few lines instead of rewriting every entry; the journal is folded into the base when it
 * grows past a quarter of it (or stale entries pile up).
 */
export class ParseCache {
  private used = new Map<string, ParsedContent | string>();
  private fresh = new Map<string, string>();

  private constructor(
    private readonly file: string | undefined,
    private readonly entries: Map<string, ParsedContent>,
    private readonly journalLines: number,
  ) {}

  private static journalOf(file: string): string {
    return file.replace(/\.json$/, '.jsonl');
  }

  /** Opens the cache for a repository root; any problem just yields an empty cache. */
  static async open(root: string, dir: string | undefined, limits: LoadLimits = DEFAULT_LIMITS): Promise<ParseCache> {
    if (!dir) return new ParseCache(undefined, new Map(), 0);
    const salt = createHash('sha1').update(`${FORMAT}|${TOOL_VERSION}|${SCHEMA_HASH}|${JSON.stringify(limits)}|${root}`).digest('hex').slice(0, 16);
    const file = path.join(dir, `parse-${salt}.json`);
    const entries = new Map<string, ParsedContent>();
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { format?: number; entries?: Record<string, ParsedContent> };
      if (parsed.format === FORMAT && parsed.entries) for (const [k, v] of Object.entries(parsed.entries)) entries.set(k, v);
    } catch {
      // no base yet, or a corrupt one: start empty
    }
    let lines = 0;
    try {
      for (const line of (await readFile(ParseCache.journalOf(file), 'utf8')).split('\n')) {
        if (!line) continue;
        lines++;
        try {
          const { id, entry } = JSON.parse(line) as { id: string; entry: ParsedContent };
          if (typeof id === 'string' && entry && Array.isArray(entry.documents)) entries.set(id, entry);
        } catch {
          // a torn line from a crashed or concurrent writer: skip it
        }
      }
    } catch {
      // no journal
    }
    return new ParseCache(file, entries, lines);
  }

  get(id: string): ParsedContent | undefined {
    const hit = this.entries.get(id);
    if (hit !== undefined) this.used.set(id, hit);
    return hit;
  }

  /**
   * Stores a parse without its position maps (they are most of its size and are rebuilt
   * from the file when a finding needs one), but with each document's schema verdict.
   */
  set(id: string, content: ParsedContent): void {
    const text = JSON.stringify({
      documents: content.documents.map((d) => ({ index: d.index, value: d.value, ...(d.schemaOk ? { schemaOk: true } : {}) })),
      findings: content.findings,
    });
    this.used.set(id, text);
    this.fresh.set(id, text);
  }

  async save(): Promise<void> {
    if (!this.file) return;
    const journal = ParseCache.journalOf(this.file);
    const stale = this.entries.size - (this.used.size - this.fresh.size);
    const compact = this.journalLines + this.fresh.size > Math.max(200, this.entries.size / 4) || stale > Math.max(200, this.entries.size / 4);
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      if (compact) {
        const parts: string[] = [];
        for (const [id, entry] of this.used) parts.push(`${JSON.stringify(id)}:${typeof entry === 'string' ? entry : JSON.stringify(entry)}`);
        const tmp = `${this.file}.${process.pid}.tmp`;
        await writeFile(tmp, `{"format":${FORMAT},"entries":{${parts.join(',')}}}`);
        await rename(tmp, this.file);
        await rm(journal, { force: true });
      } else if (this.fresh.size > 0) {
        let text = '';
        for (const [id, json] of this.fresh) text += `{"id":${JSON.stringify(id)},"entry":${json}}\n`;
        await appendFile(journal, text);
      }
    } catch {
      // A cache that cannot be written only costs speed next time.
    }
  }
}
