// The compiled policy bundle: policies/dist/policy.wasm plus policies/dist/bundle.json, which
// records what it was built from (a hash of the Rego sources and the capabilities file), so
// a stale bundle is detected without OPA.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyError } from './errors.js';

export const BUNDLE_DIR = 'policies/dist';
export const WASM_FILE = 'policy.wasm';
export const META_FILE = 'bundle.json';
export const BUILTIN_ENTRYPOINTS = ['governance', 'promotion'] as const;

export interface BundleMeta {
  opaVersion: string;
  /** sha256 over the sorted Rego sources and the capabilities file. */
  sourceHash: string;
  /** sha256 of policy.wasm: the engine refuses a wasm that is not this one. */
  wasmSha256?: string;
  entrypoints: string[];
  /** user policy packages (`user.<name>`) compiled in, each with deny and/or warn. */
  userPackages: { name: string; rules: ('deny' | 'warn')[] }[];
}

/** The package's own root (where the built-in policies/ lives), from source or from dist/. */
export function packageRoot(): string {
  // <pkg>/tools/lib/policy/bundle.ts or <pkg>/dist/tools/lib/policy/bundle.js
  const up = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  return path.basename(up) === 'dist' ? path.dirname(up) : up;
}

async function regoFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'dist' && !e.name.startsWith('.')) await walk(p);
      } else if (e.isFile() && e.name.endsWith('.rego')) out.push(p);
    }
  }
  await walk(dir);
  return out.sort();
}

/** Policy source folders: the package's built-ins, plus the repository's own (if different). */
export function policyDirs(root: string): string[] {
  const builtin = path.join(packageRoot(), 'policies');
  const own = path.join(root, 'policies');
  return path.resolve(builtin) === path.resolve(own) ? [builtin] : [builtin, own];
}

export async function sourceFiles(root: string): Promise<string[]> {
  const lists = await Promise.all(policyDirs(root).map(regoFiles));
  return lists.flat();
}

export async function sourceHash(root: string): Promise<string> {
  const h = createHash('sha256');
  const files = await sourceFiles(root);
  for (const f of files) {
    // Relative to its policies/ folder, so the hash is the same on every machine.
    const rel = f.slice(f.lastIndexOf(`${path.sep}policies${path.sep}`) + 1).split(path.sep).join('/');
    h.update(`${rel}\0`).update(await readFile(f)).update('\0');
  }
  h.update(await readFile(path.join(packageRoot(), 'policies', 'capabilities.json')));
  return h.digest('hex');
}

/** Reads files of a repository: its working tree, or a commit's objects. */
export interface RepoFiles {
  read(file: string): Promise<Buffer | undefined>;
  list(dir: string): Promise<string[]>;
}

/**
 * Where the bundle of a repository is: its own build, or — only when it has no policies of
 * its own at all — the package's built-ins. Half a bundle, or Rego sources without a build,
 * is an error: deleting bundle.json must never quietly drop the repository's own policies.
 */
export async function repositoryBundle(files: RepoFiles, label: string): Promise<{ wasm: Buffer; meta: string } | 'builtin'> {
  const [wasm, meta] = await Promise.all([files.read(`${BUNDLE_DIR}/${WASM_FILE}`), files.read(`${BUNDLE_DIR}/${META_FILE}`)]);
  if (wasm && meta) return { wasm, meta: meta.toString('utf8') };
  if (wasm || meta) {
    throw new PolicyError(`${label} has ${BUNDLE_DIR}/${wasm ? WASM_FILE : META_FILE} without ${wasm ? META_FILE : WASM_FILE}`, 'run mnops policy build and commit both files of policies/dist');
  }
  const rego = (await files.list('policies')).filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'));
  if (rego.length > 0) {
    throw new PolicyError(`${label} has Rego policies (${rego[0]}) but no built bundle in ${BUNDLE_DIR}`, 'run mnops policy build and commit policies/dist');
  }
  return 'builtin';
}

/** The working tree of a root as RepoFiles. */
export function workingTree(root: string): RepoFiles {
  return {
    async read(file) {
      try {
        return await readFile(path.join(root, file));
      } catch {
        return undefined;
      }
    },
    async list(dir) {
      return (await regoFiles(path.join(root, dir))).map((f) => path.relative(root, f).split(path.sep).join('/'));
    },
  };
}

/** Where the bundle to evaluate lives: the repository's own build, else the package's. */
export async function bundleLocation(root: string): Promise<string> {
  const own = path.join(root, BUNDLE_DIR);
  if (path.resolve(root) === path.resolve(packageRoot())) return own;
  return (await repositoryBundle(workingTree(root), root)) === 'builtin' ? path.join(packageRoot(), BUNDLE_DIR) : own;
}

/** User packages declared in `policies/user/*.rego` (`package user.<name>`) and their rules. */
export async function userPackages(root: string): Promise<BundleMeta['userPackages']> {
  const found = new Map<string, Set<'deny' | 'warn'>>();
  for (const f of await sourceFiles(root)) {
    const text = await readFile(f, 'utf8');
    const pkg = /^package\s+user\.([a-z_][a-z0-9_]*)\s*$/m.exec(text);
    if (!pkg || f.endsWith('_test.rego')) continue;
    const rules = found.get(pkg[1]!) ?? new Set();
    if (/^deny\s+(contains|\[|if|:=|=)/m.test(text)) rules.add('deny');
    if (/^warn\s+(contains|\[|if|:=|=)/m.test(text)) rules.add('warn');
    found.set(pkg[1]!, rules);
  }
  return [...found].filter(([, r]) => r.size > 0).map(([name, r]) => ({ name, rules: [...r].sort() })).sort((a, b) => (a.name < b.name ? -1 : 1));
}
