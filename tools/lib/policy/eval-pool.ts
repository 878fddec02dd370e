// The governance entrypoint over slices of the input: in worker threads when the build has
// them (one per slice, each with its own instance of the same bundle), in this thread
// otherwise (under a TS test runner, inside a single-file action bundle).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PolicyEngine } from './engine.js';
import { PolicyError } from './errors.js';
import type { EvalJob, EvalReply } from './eval-worker.js';

const workerUrl = new URL('./eval-worker.js', import.meta.url);

export function evalWorkersAvailable(): boolean {
  return fileURLToPath(import.meta.url).endsWith('.js') && existsSync(fileURLToPath(workerUrl));
}

/**
 * The raw `governance` value of each input, in order. The first is evaluated in this thread
 * while workers take the others: one thread fewer to start and to hold in memory.
 */
export async function evaluateInputs(engine: PolicyEngine, inputs: unknown[]): Promise<unknown[]> {
  if (inputs.length < 2 || !evalWorkersAvailable()) return inputs.map((input) => engine.evaluate('governance', input));
  const others = inputs.slice(1).map((input) => inWorker(engine, input));
  // Settled before anything throws here, so no worker's failure goes unobserved.
  const settled = Promise.allSettled(others);
  let first: unknown;
  try {
    // After the workers have their jobs: a macrotask later, so they start meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    first = engine.evaluate('governance', inputs[0]);
  } finally {
    await settled;
  }
  return [first, ...(await Promise.all(others))];
}

function inWorker(engine: PolicyEngine, input: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl);
    const fail = (err: Error) => reject(err instanceof PolicyError ? err : new PolicyError(`policy evaluation failed in a worker thread: ${err.message}`, 'nothing was allowed; run again, or with MNOPS_POLICY_THREADS=1'));
    worker.once('error', fail);
    worker.once('exit', (code) => {
      if (code !== 0) fail(new Error(`the worker exited with code ${code}`));
    });
    worker.once('message', (reply: EvalReply) => {
      void worker.terminate();
      if (reply.ok) resolve(reply.result);
      else reject(new PolicyError(reply.message, reply.hint));
    });
    // The input as JSON bytes, moved (not copied) to the worker: the runtime reads JSON
    // anyway, and the worker never holds the input as objects (peak memory).
    const json = new TextEncoder().encode(JSON.stringify(input));
    const job: EvalJob = { wasm: engine.bytes.wasm, metaText: engine.bytes.metaText, location: engine.location, input: json.buffer };
    worker.postMessage(job, [json.buffer]);
  });
}
