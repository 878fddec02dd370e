// Writing what the scaffold commands make without ever overwriting a file or leaving half of
// it behind: everything is written into a hidden staging folder first (discovery skips dot
// folders), then moved into place in one step per file (a hard link, which refuses an
// existing path) or, for a new folder, in one rename.
import { existsSync, linkSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MnopsError } from '../repo/errors.js';

/** The scaffold would overwrite something, or its input names something that exists (exit 2). */
export class ScaffoldError extends MnopsError {}

function stage(parent: string, label: string, files: Map<string, string>): string {
  const dir = path.join(parent, `.mnops-${label}-${process.pid}-${Date.now()}`);
  for (const [rel, text] of files) {
    const abs = path.join(dir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
  return dir;
}

/**
 * Adds `files` (relative path → text) under `dir`, which may hold other files: refused,
 * naming the first file, when any of them exists already; then nothing is written.
 */
export function addFiles(dir: string, files: Map<string, string>, display: (rel: string) => string = (rel) => rel): void {
  const taken = [...files.keys()].find((rel) => existsSync(path.join(dir, rel)));
  if (taken) throw new ScaffoldError(`${display(taken)} already exists; mnops never overwrites a file`, 'move it away, or scaffold into an empty folder');
  mkdirSync(dir, { recursive: true });
  const staged = stage(dir, 'init', files);
  const placed: string[] = [];
  try {
    for (const rel of files.keys()) {
      const to = path.join(dir, rel);
      mkdirSync(path.dirname(to), { recursive: true });
      try {
        linkSync(path.join(staged, rel), to);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ScaffoldError(`${display(rel)} appeared while mnops was writing; nothing was overwritten`, 'run it again');
        throw err;
      }
      placed.push(to);
    }
  } catch (err) {
    // All or nothing: what this run placed goes again.
    for (const p of placed) unlinkSync(p);
    throw err;
  } finally {
    rmSync(staged, { recursive: true, force: true });
  }
}

/** Creates the folder `target` holding `files`, in one rename; refused when it exists. */
export function createFolder(target: string, files: Map<string, string>, display: string): void {
  if (existsSync(target)) throw new ScaffoldError(`${display} already exists`, 'pick another name, or remove that folder first');
  const staged = stage(path.dirname(target), path.basename(target), files);
  try {
    // A rename onto an empty folder would succeed: check once more just before.
    if (existsSync(target)) throw new ScaffoldError(`${display} appeared while mnops was writing; nothing was overwritten`, 'pick another name');
    renameSync(staged, target);
  } catch (err) {
    rmSync(staged, { recursive: true, force: true });
    throw err;
  }
}
