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

/** The raw `governance` value of each input, in order. */
export async function evaluateInputs(engine: PolicyEngine, inputs: unknown[]): Promise<unknown[]> {
  if (inputs.length < 2 || !evalWorkersAvailable()) return inputs.map((input) => engine.evaluate('governance', input));
  return Promise.all(inputs.map((input) => inWorker(engine, input)));
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
    const job: EvalJob = { wasm: engine.bytes.wasm, metaText: engine.bytes.metaText, location: engine.location, input };
    worker.postMessage(job);
  });
}
