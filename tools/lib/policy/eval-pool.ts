// The governance entrypoint over slices of the input, on a few threads: this one and worker
// threads, each with its own instance of the same bundle, taking the slices in turn. Without
// worker files (under a TS test runner, inside a single-file action bundle) all in this thread.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PolicyEngine } from './engine.js';
import { PolicyError } from './errors.js';
import type { EvalJob, EvalReply, EvalSetup } from './eval-worker.js';

const workerUrl = new URL('./eval-worker.js', import.meta.url);

export function evalWorkersAvailable(): boolean {
  return fileURLToPath(import.meta.url).endsWith('.js') && existsSync(fileURLToPath(workerUrl));
}

/** The raw `governance` value of each input, in order, evaluated on up to `threads` threads. */
export async function evaluateInputs(engine: PolicyEngine, inputs: unknown[], threads = 1): Promise<unknown[]> {
  const n = Math.min(threads, inputs.length);
  if (n < 2 || !evalWorkersAvailable()) return inputs.map((input) => engine.evaluate('governance', input));
  // Slice i goes to thread i mod n; thread 0 is this one.
  const share = (t: number) => inputs.map((input, index) => ({ input, index })).filter(({ index }) => index % n === t);
  const others = Array.from({ length: n - 1 }, (_, t) => inWorker(engine, share(t + 1)));
  // Settled before anything throws here, so no worker's failure goes unobserved.
  const settled = Promise.allSettled(others);
  const results: unknown[] = new Array(inputs.length);
  try {
    // A macrotask later: the workers start meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    for (const { input, index } of share(0)) results[index] = engine.evaluate('governance', input);
  } finally {
    await settled;
  }
  for (const done of await Promise.all(others)) for (const [index, value] of done) results[index] = value;
  return results;
}

function inWorker(engine: PolicyEngine, jobs: { input: unknown; index: number }[]): Promise<Map<number, unknown>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl);
    const done = new Map<number, unknown>();
    let finished = false;
    const fail = (err: Error) => {
      if (finished) return;
      finished = true;
      void worker.terminate();
      reject(err instanceof PolicyError ? err : new PolicyError(`policy evaluation failed in a worker thread: ${err.message}`, 'nothing was allowed; run again, or with MNOPS_POLICY_THREADS=1'));
    };
    worker.once('error', fail);
    worker.once('exit', (code) => {
      if (!finished) fail(new Error(`the worker exited with code ${code} before it answered`));
    });
    worker.on('message', (reply: EvalReply) => {
      if (!reply.ok) return fail(new PolicyError(reply.message, reply.hint));
      done.set(reply.index, reply.result);
      if (done.size === jobs.length && !finished) {
        finished = true;
        void worker.terminate();
        resolve(done);
      }
    });
    const setup: EvalSetup = { wasm: engine.bytes.wasm, metaText: engine.bytes.metaText, location: engine.location };
    worker.postMessage(setup);
    for (const { input, index } of jobs) {
      // The input as JSON bytes, moved (not copied) to the worker: the runtime reads JSON
      // anyway, and the worker never holds the input as objects (peak memory).
      const json = new TextEncoder().encode(JSON.stringify(input));
      const job: EvalJob = { index, input: json.buffer };
      worker.postMessage(job, [json.buffer]);
    }
  });
}
