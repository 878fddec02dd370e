// Files → parsed documents (cache first, then worker threads) → the indexed Ecosystem.
import { closeSync, fstatSync, openSync, readFileSync, readSync, type Stats } from 'node:fs';
import path from 'node:path';
import { buildEcosystem, type DefinitionHistory, type Ecosystem, type ParsedFile } from '../manifest/ecosystem.js';
import { filesNotInHead } from '../repo/git.js';
import { formatBytes, oversizeContent, parseManifestBytes, resolveLimits, type DocumentSummary, type LoadLimits, type ParsedContent, type ParsedDocument, type PositionMap } from '../manifest/load.js';
import { MnopsError } from '../repo/errors.js';
import { discoverManifestFiles } from '../repo/paths.js';
import type { Finding } from '../report/finding.js';
import { blobId, cacheContext, defaultCacheDir, ParseCache, parseJsonText, type CachedContent, type CachedDocument } from './parse-cache.js';
import { parseAll, type ParseItem } from './parse-pool.js';
import { PhaseClock } from './phases.js';
import { StatTable } from './stat-table.js';

export interface LoadOptions {
  /** Only discover manifests under these paths (default: the manifest folders of the root). */
  paths?: string[];
  /**
   * Parse cache folder; false disables the cache. Default: $MNOPS_CACHE_DIR; on GitHub
   * Actions a folder under $RUNNER_TEMP (this job's); else $XDG_CACHE_HOME/mnops or ~/.cache/mnops.
   */
  cacheDir?: string | false;
  /** Overrides of DEFAULT_LIMITS, per file and for the whole load (maxFiles, maxTotalBytes). */
  limits?: Partial<LoadLimits>;
  /** Worker threads for parsing (default: available cores). */
  threads?: number;
  /** Adds this load's phases (discover, read, parse, index, cache) to a clock. */
  clock?: PhaseClock;
  /** The files of the change under review: a name defined twice is reported on the one it touches. */
  changed?: Promise<readonly string[]>;
}

export interface LoadedEcosystem {
  ecosystem: Ecosystem;
  /** Discovery, parse, schema and duplicate findings. */
  findings: Finding[];
  /** Files reached through a symlink: they change when their target does. */
  linked: string[];
  /** Each file's git blob id (of the bytes read; files over the size limit have none). */
  blobs: Map<string, string>;
  /** Each file as parsed, valid or not. */
  parsed: ParsedFile[];
  /** The cache folder and what its entries are bound to, when there is a usable cache. */
  cache?: {
    dir: string;
    context: string;
    /** The keys' worth of a cached blob's values (see ParseCache.keyValuesOf). */
    keyValuesOf(id: string): unknown[] | undefined;
  };
  /** Files; files read (not known by their stat), parsed (not cached), and parses taken from the cache. */
  stats: { files: number; read: number; parsed: number; cached: number };
}

/** The repository holds more manifests, or more bytes of them, than one load may read (exit 2). */
export class LoadLimitError extends MnopsError {}

export async function loadEcosystem(root: string, options: LoadOptions = {}): Promise<LoadedEcosystem> {
  const limits = resolveLimits(options.limits);
  const clock = options.clock ?? new PhaseClock();
  const cacheDir = options.cacheDir === false ? undefined : (options.cacheDir ?? (process.env.MNOPS_NO_CACHE ? undefined : defaultCacheDir()));
  // The stat table's paths are stat'ed by a worker while the parse cache opens.
  const prefetch = cacheDir ? cacheContext(root, limits).then((context) => StatTable.prefetch(cacheDir, context, root, { max: limits.maxFiles * 2 })) : undefined;
  const cache = await clock.timeAsync('cache', () => ParseCache.open(root, cacheDir, limits));
  const stats = cache.dir ? await clock.timeAsync('cache', () => StatTable.open(cache.dir, cache.context, prefetch)) : StatTable.none();
  const discovered = clock.time('discover', () => discoverManifestFiles(root, options.paths, cache.dir ? stats : undefined));
  if (discovered.files.length > limits.maxFiles) {
    throw new LoadLimitError(
      `the repository holds ${discovered.files.length.toLocaleString('en-US')} manifest files, over the limit of ${limits.maxFiles.toLocaleString('en-US')}`,
      'remove the files that are not manifests from the manifest folders, or raise the maxFiles limit if the repository really is this large',
    );
  }
  const contents = clock.time('read', () => readAll(root, discovered.files, limits, stats));

  const byFile = new Map<string, ParsedContent>();
  const toParse: ParseItem[] = [];
  const idOf = new Map<string, string>();
  let readCount = contents.filter((c) => c.bytes).length;
  clock.time('cache', () => {
    for (const read of contents) {
      const { file, tooLarge } = read;
      if (tooLarge) {
        byFile.set(file, tooLarge);
        continue;
      }
      // The id of the bytes read (or, for a file whose stat is unchanged, of the bytes it
      // held when last read): a cached parse is only ever of exactly these bytes.
      let id = read.id ?? blobId(read.bytes!);
      let hit = cache.get(id);
      let bytes = read.bytes;
      if (!hit && !bytes) {
        // Known by its stat, but its parse is no longer cached: read it after all.
        const again = readFile(root, file, limits, stats);
        if (again.tooLarge) {
          byFile.set(file, again.tooLarge);
          continue;
        }
        bytes = again.bytes!;
        id = again.id!;
        readCount++;
        hit = cache.get(id);
      }
      idOf.set(file, id);
      if (hit) byFile.set(file, withLazyPositions(hit, path.join(root, file), id, limits));
      else toParse.push({ id, bytes: bytes! });
    }
  });
  // Identical files share one parse.
  const unique = [...new Map(toParse.map((it) => [it.id, it])).values()];
  const parsed = await clock.timeAsync('parse', () => parseAll(unique, limits, options.threads));
  const byId = new Map(parsed.map((p) => [p.id, p]));
  /** The content of each new parse as indexed: its documents get their schema verdicts there. */
  const indexed = new Map<string, ParsedContent>();
  for (const [file, id] of idOf) {
    if (byFile.has(file)) continue;
    const p = byId.get(id)!;
    // Positions of the fast path are computed when asked for: from the file, not from text
    // held for every file in the meantime.
    const content = p.lazyPositions ? withLazyPositions(p.content, path.join(root, file), id, limits) : p.content;
    byFile.set(file, content);
    if (!indexed.has(id)) indexed.set(id, content);
  }

  const files: ParsedFile[] = discovered.files.map((file) => ({ file, content: byFile.get(file)! }));
  // The change's own errors (a bad ref) are the caller's to raise: here it only informs.
  const changed = options.changed ? new Set(await options.changed.catch(() => [] as readonly string[])) : undefined;
  const { ecosystem, findings } = clock.time('index', () => buildEcosystem(root, files, definitionHistory(root, changed)));
  // After building: the documents now carry their schema verdicts.
  await clock.timeAsync('cache', async () => {
    for (const p of parsed) cache.set(p.id, indexed.get(p.id) ?? p.content);
    await Promise.all([cache.save(), stats.save()]);
  });
  return {
    ecosystem,
    findings: [...discovered.findings, ...findings],
    linked: discovered.linked,
    blobs: idOf,
    parsed: files,
    ...(cache.dir ? { cache: { dir: cache.dir, context: cache.context, keyValuesOf: (id: string) => cache.keyValuesOf(id) } } : {}),
    stats: { files: files.length, read: readCount, parsed: unique.length, cached: files.length - toParse.length },
  };
}

/** Which definitions of a name are the copies: the change's files, then what git has not committed. */
export function definitionHistory(root: string, changed?: ReadonlySet<string>): DefinitionHistory {
  return (files) => {
    const uncommitted = filesNotInHead(root, files);
    return new Map(files.map((f) => [f, { changed: changed?.has(f) ?? false, uncommitted: uncommitted?.has(f) ?? false }]));
  };
}

/** A file's positions, computed once from the file when a document asks for them. */
class PositionSource {
  private reparsed: ParsedContent | undefined;
  constructor(
    private readonly abs: string,
    private readonly id: string,
    private readonly limits: LoadLimits,
  ) {}

  of(index: number): PositionMap {
    if (!this.reparsed) {
      let bytes: Uint8Array = new Uint8Array(0);
      try {
        bytes = readFileSync(this.abs);
      } catch {
        // gone since: positions fall back to the top of the file
      }
      // A file that no longer holds the bytes the entry is of lends it no positions.
      this.reparsed = blobId(bytes) === this.id ? parseManifestBytes(bytes, this.limits) : { documents: [], findings: [] };
    }
    return this.reparsed.documents.find((d) => d.index === index)?.positions ?? { '': [1, 1] };
  }
}

/**
 * A document whose positions are computed on first use, and — cached as JSON text — whose
 * value is parsed on first use (getters of the class, not ones made per document).
 */
class LazyDocument implements ParsedDocument {
  readonly index: number;
  schemaOk: boolean | undefined;
  readonly summary: DocumentSummary | undefined;
  private json: string | Uint8Array | undefined;
  private parsed: unknown;

  constructor(
    doc: CachedDocument,
    private readonly source: PositionSource,
  ) {
    this.index = doc.index;
    this.schemaOk = doc.schemaOk;
    this.summary = doc.summary;
    this.json = doc.json;
    this.parsed = doc.value;
  }

  get value(): unknown {
    if (this.json !== undefined) {
      this.parsed = parseJsonText(this.json);
      this.json = undefined;
    }
    return this.parsed;
  }

  set value(v: unknown) {
    this.json = undefined;
    this.parsed = v;
  }

  get positions(): PositionMap {
    return this.source.of(this.index);
  }
}

/** Cached documents (and those of the fast path) come without positions: they are read from the file on first use. */
function withLazyPositions(content: CachedContent | ParsedContent, abs: string, id: string, limits: LoadLimits): ParsedContent {
  const source = new PositionSource(abs, id, limits);
  return { documents: content.documents.map((d) => new LazyDocument(d, source)), findings: content.findings };
}

interface ReadResult {
  file: string;
  /** The bytes read; undefined when the file's stat says it holds the bytes of `id`, unread. */
  bytes?: Uint8Array;
  /** The blob id of the bytes. */
  id?: string;
  /** Set instead of parsing when the file is over the size limit: it is never read whole. */
  tooLarge?: ParsedContent;
}

/**
 * Reads every file whose stat the table does not know. Synchronous on purpose: for thousands
 * of small files, readFileSync is ~10x faster than promise-based reads (10k files: ~0.1 s
 * against ~1 s). The sizes are summed before anything is read, so a repository over
 * maxTotalBytes is refused unread.
 */
function readAll(root: string, files: string[], limits: LoadLimits, table: StatTable): ReadResult[] {
  // Paths joined by hand: files are clean repo-relative paths, and path.join costs per call.
  const base = `${path.resolve(root)}${path.sep}`;
  const stats = files.map((file) => table.statFile(file, base + file));
  // Files over the size limit are refused from their size alone and never read: they do not count.
  const total = stats.reduce((sum, { size }) => (size > limits.maxFileBytes ? sum : sum + size), 0);
  if (total > limits.maxTotalBytes) {
    throw new LoadLimitError(
      `the repository's ${files.length.toLocaleString('en-US')} manifest files total ${formatBytes(total)}, over the limit of ${formatBytes(limits.maxTotalBytes)}`,
      'remove large files from the manifest folders, or raise the maxTotalBytes limit if the repository really is this large',
    );
  }
  return files.map((file, i) => {
    const st = stats[i]!;
    if (st.size > limits.maxFileBytes) return { file, tooLarge: oversizeContent(st.size, limits) };
    const id = table.lookup(file, st);
    return id ? { file, id } : readFile(root, file, limits, table);
  });
}

/** One file's bytes and blob id, kept in the table under the stat of the file as opened. */
function readFile(root: string, file: string, limits: LoadLimits, table: StatTable): ReadResult {
  const read = readAtMost(path.join(root, file), limits.maxFileBytes);
  // A file that grew past the limit since it was measured is refused all the same.
  if (typeof read === 'number') return { file, tooLarge: oversizeContent(read, limits) };
  const id = blobId(read.bytes);
  table.record(file, read.stat, id);
  return { file, bytes: read.bytes, id };
}

/** The file's bytes and its stat before reading, or — when it holds more than `max` — how many bytes it holds at least. */
function readAtMost(abs: string, max: number): { bytes: Uint8Array; stat: Stats } | number {
  const fd = openSync(abs, 'r');
  try {
    const stat = fstatSync(fd);
    const size = stat.size;
    if (size > max) return size;
    // One byte more than the size says: a file that grew is read on, up to the limit.
    let buf = Buffer.allocUnsafeSlow(size + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > max) return n;
        const bigger = Buffer.allocUnsafeSlow(Math.min(max + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const r = readSync(fd, buf, n, buf.length - n, n);
      if (r === 0) break;
      n += r;
    }
    return n > max ? n : { bytes: buf.subarray(0, n), stat };
  } finally {
    closeSync(fd);
  }
}
