// Worker thread: loads the bundle from the bytes it is sent first (checked against its
// recorded sha256, as every load is), then evaluates each slice of the governance input it
// is sent, in order, one reply per slice.
import { parentPort } from 'node:worker_threads';
import { PolicyEngine } from './engine.js';
import { PolicyError } from './errors.js';

export interface EvalSetup {
  wasm: Uint8Array;
  metaText: string;
  location: string;
}

/** One slice: the input as JSON text, which the runtime reads as it is. */
export interface EvalJob {
  index: number;
  input: ArrayBuffer;
}

export type EvalReply = { index: number; ok: true; result: unknown } | { index: number; ok: false; message: string; hint?: string };

let engine: Promise<PolicyEngine> | undefined;

function failure(index: number, err: unknown): EvalReply {
  return { index, ok: false, message: err instanceof Error ? err.message : String(err), ...(err instanceof PolicyError && err.hint ? { hint: err.hint } : {}) };
}

parentPort?.on('message', (msg: EvalSetup | EvalJob) => {
  if ('wasm' in msg) {
    engine = PolicyEngine.fromBytes(Buffer.from(msg.wasm), msg.metaText, msg.location);
    engine.catch(() => undefined); // reported with the first job
    return;
  }
  void (async () => {
    let reply: EvalReply;
    try {
      if (!engine) throw new PolicyError('the policy worker was sent a slice before its bundle', 'nothing was allowed; run again');
      reply = { index: msg.index, ok: true, result: (await engine).evaluate('governance', msg.input) };
    } catch (err) {
      reply = failure(msg.index, err);
    }
    parentPort!.postMessage(reply);
  })();
});
