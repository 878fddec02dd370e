// Real repositories for tests: a copy of the example ecosystem in a temp dir, optionally a
// git repository, and the built CLI run as a user would run it.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(PROJECT_ROOT, 'dist/tools/mnops.js');
/** The sandbox and preview environments tests add to the example expire; tests judge them at a fixed time. */
export const FIXED_NOW = '2026-11-23T12:00:00Z';
/** A preview and a sandbox environment with a ttl: the example ships none (they would expire
 * in every clone), so tests add them where the example keeps its environments. */
export const EPHEMERAL_ENVIRONMENTS = path.join(PROJECT_ROOT, 'test/fixtures/ephemeral-environments');

/** Copies the ephemeral environments into a copy of the example. */
export function addEphemeralEnvironments(root: string): void {
  cpSync(EPHEMERAL_ENVIRONMENTS, path.join(root, 'ecosystem/platform-cloud'), { recursive: true });
}
const CLI_TIMEOUT_MS = 120_000;
const MANIFEST_DIRS = ['ecosystem', 'platforms', 'registry', 'schemas'];

export function tempDir(prefix = 'mnops-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh copy of the example ecosystem with the ephemeral environments added (unless
 * `ephemeral: false`); `git: true` makes it a repository with one commit. */
export function exampleRepo(options: { git?: boolean; ephemeral?: boolean } = {}): string {
  const dir = tempDir();
  for (const d of MANIFEST_DIRS) cpSync(path.join(PROJECT_ROOT, d), path.join(dir, d), { recursive: true });
  if (options.ephemeral !== false) addEphemeralEnvironments(dir);
  if (options.git) {
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'example ecosystem');
  }
  return dir;
}

/** Writes `files` (repo-relative path → text) under `root` and commits them on a new `main`. */
export function commitNewRepo(root: string, files: Record<string, string>, message: string): string {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', message);
  return root;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
  });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Replace `from` with `to` in a repo file; fails loudly when `from` is absent so tests stay honest. */
export function edit(root: string, file: string, from: string | RegExp, to: string): void {
  const abs = path.join(root, file);
  const text = readFileSync(abs, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`edit: ${String(from)} not found in ${file}`);
  writeFileSync(abs, next);
}

/** 1-based line number of the first line containing `needle` in a repo file. */
export function lineOf(root: string, file: string, needle: string): number {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`lineOf: ${needle} not in ${file}`);
  return i + 1;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the built CLI as a user would. Asynchronous on purpose: a test worker blocked in a
 * synchronous child for a minute misses the runner's own messages and fails the whole run.
 */
export function mnops(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; entry?: 'mnops' | 'validate_platform' | 'enforce' } = {},
): Promise<CliResult> {
  const t0 = performance.now();
  const env: Record<string, string> = {};
  const merged = { ...process.env, NO_COLOR: '1', MNOPS_NO_CACHE: '1', MNOPS_NOW: FIXED_NOW, GITHUB_STEP_SUMMARY: undefined, FORCE_COLOR: undefined, ...options.env };
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) env[k] = v;
  const entry = options.entry ? path.join(PROJECT_ROOT, `dist/tools/${options.entry}.js`) : CLI;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { cwd: options.cwd ?? PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: performance.now() - t0 });
    });
  });
}
