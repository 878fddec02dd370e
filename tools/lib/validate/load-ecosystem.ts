// Files → parsed documents (cache first, then worker threads) → the indexed Ecosystem.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildEcosystem, type Ecosystem, type ParsedFile } from '../manifest/ecosystem.js';
import { DEFAULT_LIMITS, oversizeContent, parseManifestBytes, type LoadLimits, type ParsedContent } from '../manifest/load.js';
import { discoverManifestFiles } from '../repo/paths.js';
import type { Finding } from '../report/finding.js';
import { blobId, defaultCacheDir, ParseCache } from './parse-cache.js';
import { parseAll, type ParseItem } from './parse-pool.js';

export interface LoadOptions {
  /** Only discover manifests under these paths (default: the manifest folders of the root). */
  paths?: string[];
  /** Parse cache folder; false disables the cache. Default: $MNOPS_CACHE_DIR or ~/.cache/mnops. */
  cacheDir?: string | false;
  limits?: LoadLimits;
  /** Worker threads for parsing (default: available cores). */
  threads?: number;
}

export interface LoadedEcosystem {
  ecosystem: Ecosystem;
  /** Discovery, parse, schema and duplicate findings. */
  findings: Finding[];
  stats: { files: number; parsed: number; cached: number };
}

export async function loadEcosystem(root: string, options: LoadOptions = {}): Promise<LoadedEcosystem> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const discovered = await discoverManifestFiles(root, options.paths);
  const cacheDir = options.cacheDir === false ? undefined : (options.cacheDir ?? (process.env.MNOPS_NO_CACHE ? undefined : defaultCacheDir()));
  const contents = readAll(root, discovered.files, limits);
  const cache = await ParseCache.open(root, cacheDir, limits);

  const byFile = new Map<string, ParsedContent>();
  const toParse: ParseItem[] = [];
  const idOf = new Map<string, string>();
  for (const { file, bytes, tooLarge } of contents) {
    if (tooLarge) {
      byFile.set(file, tooLarge);
      continue;
    }
    const id = blobId(bytes);
    idOf.set(file, id);
    const hit = cache.get(id);
    if (hit) byFile.set(file, withLazyPositions(hit, path.join(root, file), limits));
    else toParse.push({ id, bytes });
  }
  // Identical files share one parse.
  const unique = [...new Map(toParse.map((it) => [it.id, it])).values()];
  const parsed = await parseAll(unique, limits, options.threads);
  const byId = new Map(parsed.map((p) => [p.id, p]));
  for (const [file, id] of idOf) if (!byFile.has(file)) byFile.set(file, byId.get(id)!.content);

  const files: ParsedFile[] = discovered.files.map((file) => ({ file, content: byFile.get(file)! }));
  const { ecosystem, findings } = buildEcosystem(root, files);
  // After building: the documents now carry their schema verdicts.
  for (const p of parsed) cache.set(p.id, p.content);
  await cache.save();
  return {
    ecosystem,
    findings: [...discovered.findings, ...findings],
    stats: { files: files.length, parsed: unique.length, cached: files.length - toParse.length },
  };
}

/** Cached documents come without positions: a getter re-parses the file on first use. */
function withLazyPositions(content: ParsedContent, abs: string, limits: LoadLimits): ParsedContent {
  let reparsed: ParsedContent | undefined;
  for (const doc of content.documents) {
    Object.defineProperty(doc, 'positions', {
      enumerable: false,
      configurable: true,
      get() {
        reparsed ??= parseManifestBytes(readFileSync(abs), limits);
        return reparsed.documents.find((d) => d.index === doc.index)?.positions ?? { '': [1, 1] };
      },
    });
  }
  return content;
}

interface ReadResult {
  file: string;
  bytes: Uint8Array;
  /** Set instead of parsing when the file is over the size limit: it is never read whole. */
  tooLarge?: ParsedContent;
}

/**
 * Reads every file. Synchronous on purpose: for thousands of small files, readFileSync is
 * ~10x faster than promise-based reads (10k files: ~0.1 s against ~1 s).
 */
function readAll(root: string, files: string[], limits: LoadLimits): ReadResult[] {
  return files.map((file) => {
    const abs = path.join(root, file);
    const size = statSync(abs).size;
    // Oversized files are refused from their size alone, never read whole.
    if (size > limits.maxFileBytes) return { file, bytes: new Uint8Array(0), tooLarge: oversizeContent(size, limits) };
    return { file, bytes: readFileSync(abs) };
  });
}
