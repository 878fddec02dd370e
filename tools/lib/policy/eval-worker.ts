// Worker thread: loads the bundle from the bytes it is sent (checked against its recorded
// sha256, as every load is) and evaluates one slice of the governance input.
import { parentPort } from 'node:worker_threads';
import { PolicyEngine } from './engine.js';
import { PolicyError } from './errors.js';

export interface EvalJob {
  wasm: Uint8Array;
  metaText: string;
  location: string;
  /** The input as JSON text, which the runtime reads as it is. */
  input: ArrayBuffer;
}

export type EvalReply = { ok: true; result: unknown } | { ok: false; message: string; hint?: string };

parentPort?.once('message', (job: EvalJob) => {
  void (async () => {
    let reply: EvalReply;
    try {
      const engine = await PolicyEngine.fromBytes(Buffer.from(job.wasm), job.metaText, job.location);
      reply = { ok: true, result: engine.evaluate('governance', job.input) };
    } catch (err) {
      reply = { ok: false, message: err instanceof Error ? err.message : String(err), ...(err instanceof PolicyError && err.hint ? { hint: err.hint } : {}) };
    }
    parentPort!.postMessage(reply);
  })();
});
