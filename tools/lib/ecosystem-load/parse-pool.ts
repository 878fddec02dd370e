// Parsing: the fast path on the main thread (it costs less than sending results between
// threads would), and the files only the `yaml` package can read spread over the machine's
// cores with worker threads when there are enough of them.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fastParseBytes, parseBytesWithYaml, type LoadLimits, type ParsedContent } from '../manifest/load.js';
import type { ParseJob } from './parse-worker.js';

export interface ParseItem {
  id: string;
  bytes: Uint8Array;
}

export interface ParsedItem {
  id: string;
  content: ParsedContent;
  json?: string;
  /** Parsed by the fast path: positions are computed on first use. */
  lazyPositions?: boolean;
}

/** Below this many files, threads cost more than they save. */
const MIN_FOR_WORKERS = 200;

const workerUrl = new URL('./parse-worker.js', import.meta.url);

/**
 * Workers need the compiled worker file beside this one: under a TS test runner, or inside a
 * single-file action bundle, we parse on the main thread.
 */
function workersAvailable(): boolean {
  return fileURLToPath(import.meta.url).endsWith('.js') && existsSync(fileURLToPath(workerUrl));
}

export async function parseAll(all: ParseItem[], limits: LoadLimits, threads?: number): Promise<ParsedItem[]> {
  const done: ParsedItem[] = [];
  const items: ParseItem[] = [];
  for (const it of all) {
    const content = fastParseBytes(it.bytes, limits);
    if (content) done.push({ id: it.id, content, lazyPositions: true });
    else items.push(it);
  }
  return [...done, ...(await parseWithYamlAll(items, limits, threads))];
}

async function parseWithYamlAll(items: ParseItem[], limits: LoadLimits, threads?: number): Promise<ParsedItem[]> {
  const n = Math.max(1, Math.min(threads ?? os.availableParallelism(), 8));
  if (items.length < MIN_FOR_WORKERS || n < 2 || !workersAvailable()) {
    return items.map((it) => ({ id: it.id, content: parseBytesWithYaml(it.bytes, limits) }));
  }
  // Balance by bytes, not count: files differ in size.
  const buckets: ParseItem[][] = Array.from({ length: n }, () => []);
  const load = new Array<number>(n).fill(0);
  for (const it of [...items].sort((a, b) => b.bytes.byteLength - a.bytes.byteLength)) {
    let min = 0;
    for (let i = 1; i < n; i++) if (load[i]! < load[min]!) min = i;
    buckets[min]!.push(it);
    load[min]! += it.bytes.byteLength + 256;
  }
  const results = await Promise.all(
    buckets.filter((b) => b.length > 0).map(
      (bucket) =>
        new Promise<{ id: string; json: string }[]>((resolve, reject) => {
          const worker = new Worker(workerUrl);
          worker.once('message', (out: { id: string; json: string }[]) => {
            resolve(out);
            void worker.terminate();
          });
          worker.once('error', reject);
          const job: ParseJob = { limits, items: bucket };
          worker.postMessage(job);
        }),
    ),
  );
  return results.flat().map((r) => ({ id: r.id, json: r.json, content: JSON.parse(r.json) as ParsedContent }));
}
