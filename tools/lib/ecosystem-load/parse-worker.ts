// Worker thread: parses a batch of files the fast path declined, with `yaml`, and sends each
// result back as JSON text (cheap to transfer, and exactly what the parse cache stores).
import { parentPort } from 'node:worker_threads';
import { parseBytesWithYaml, type LoadLimits } from '../manifest/load.js';

export interface ParseJob {
  limits: LoadLimits;
  items: { id: string; bytes: Uint8Array }[];
}

parentPort?.on('message', (job: ParseJob) => {
  const out: { id: string; json: string }[] = job.items.map((it) => ({
    id: it.id,
    json: JSON.stringify(parseBytesWithYaml(it.bytes, job.limits)),
  }));
  parentPort!.postMessage(out);
});
