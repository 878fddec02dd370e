// The witness: what this clone last verified (highest seq and its hash), kept in a file of the
// clone's git directory — outside every ref, so no fetch, however forced, can replace it. A
// remote whose chain does not extend it was rewritten, however consistent the rewrite.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../repo/errors.js';
import { git } from './plumbing.js';

export interface Witness {
  seq: number;
  hash: string;
  /** RFC 3339, when this clone verified it. */
  verifiedAt: string;
}

/** `<git common dir>/mnops/witness/<branch>.json`: shared by the clone's worktrees. */
export async function witnessFile(root: string, branch: string): Promise<string> {
  const common = (await git(root, ['rev-parse', '--git-common-dir'])).trim();
  return path.join(path.resolve(root, common), 'mnops', 'witness', `${encodeURIComponent(branch)}.json`);
}

export async function readWitness(file: string): Promise<Witness | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let w: Partial<Witness> | undefined;
  try {
    w = JSON.parse(text) as Partial<Witness>;
  } catch {
    w = undefined;
  }
  if (!w || !Number.isInteger(w.seq) || (w.seq ?? 0) < 1 || typeof w.hash !== 'string' || !/^[0-9a-f]{64}$/.test(w.hash) || typeof w.verifiedAt !== 'string') {
    throw new UsageError(`the audit witness ${file} is not valid`, 'it records what this clone verified before; delete it only if you trust the remote trail as it is now');
  }
  return { seq: w.seq!, hash: w.hash, verifiedAt: w.verifiedAt };
}

/** Written atomically (temp file + rename); only ever moved forward by a clean verify. */
export async function writeWitness(file: string, w: Witness): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(w, null, 2)}\n`);
  await rename(tmp, file);
}
