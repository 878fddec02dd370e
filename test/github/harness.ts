// Runs an action's run() as the runner would: the real @actions/core file protocol
// (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, INPUT_* variables, workflow commands on stdout), a
// real event payload from @octokit/webhooks-examples adapted to the test repository, and
// the exit code core.setFailed sets.
import { createRequire } from 'node:module';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll } from 'vitest';
import { tempDir } from '../helpers/repo.js';

const require = createRequire(import.meta.url);

export const OWNER = 'Codertocat';
export const REPO = 'Hello-World';

/** A real webhook payload of `event` (and `action`), from GitHub's published examples. */
export function exampleEvent(event: string, action?: string): Record<string, unknown> {
  const all = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];
  const examples = all.find((e) => e.name === event)?.examples ?? [];
  const found = examples.find((e) => action === undefined || e.action === action);
  if (!found) throw new Error(`no ${event}${action ? `.${action}` : ''} example payload`);
  return structuredClone(found);
}

/** The pull_request.synchronize example, pointed at a PR of the test repository. */
export function pullRequestEvent(number: number, baseSha: string, headSha: string): Record<string, unknown> {
  const e = exampleEvent('pull_request', 'synchronize') as {
    number: number;
    pull_request: { number: number; base: { sha: string }; head: { sha: string } };
    after: string;
    before: string;
  };
  e.number = number;
  e.pull_request.number = number;
  e.pull_request.base.sha = baseSha;
  e.pull_request.head.sha = headSha;
  e.after = headSha;
  return e;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  file?: string;
  line?: number;
  col?: number;
  title?: string;
  message: string;
}

export interface ActionRun {
  outputs: Record<string, string>;
  summary: string;
  annotations: Annotation[];
  /** Lines of plain log output (not workflow commands). */
  log: string[];
  /** Values registered with core.setSecret (::add-mask::). */
  masked: string[];
  failed: boolean;
  /** The message core.setFailed printed (an ::error:: without file). */
  failure?: string;
}

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProp = (s: string) => unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');

/** GITHUB_OUTPUT in the heredoc format core writes: `name<<delimiter\nvalue\ndelimiter`. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join('\n');
  }
  return out;
}

function parseCommands(stdout: string): Pick<ActionRun, 'annotations' | 'log' | 'masked'> {
  const annotations: Annotation[] = [];
  const log: string[] = [];
  const masked: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) {
      if (line) log.push(line);
      continue;
    }
    const [, command, props = '', data = ''] = m;
    if (command === 'add-mask') masked.push(unescapeData(data));
    if (command !== 'error' && command !== 'warning' && command !== 'notice') continue;
    const a: Annotation = { level: command, message: unescapeData(data) };
    for (const kv of props.split(',').filter(Boolean)) {
      const i = kv.indexOf('=');
      const k = kv.slice(0, i);
      const v = unescapeProp(kv.slice(i + 1));
      if (k === 'file') a.file = v;
      else if (k === 'line') a.line = Number(v);
      else if (k === 'col') a.col = Number(v);
      else if (k === 'title') a.title = v;
    }
    annotations.push(a);
  }
  return { annotations, log, masked };
}

export interface RunOptions {
  workspace: string;
  eventName: string;
  event: Record<string, unknown>;
  inputs: Record<string, string>;
  sha?: string;
  ref?: string;
  env?: Record<string, string>;
}

// The runner's temp folders outlive each run (tests read the report files an action leaves
// there); they go when the test file that made them ends.
const runnerTemps: string[] = [];
afterAll(() => {
  for (const dir of runnerTemps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Sets up the runner environment, runs `run`, and reads back what the runner would see. */
export async function runAction(run: () => Promise<void>, o: RunOptions): Promise<ActionRun> {
  const dir = tempDir('mnops-action-');
  runnerTemps.push(dir);
  const files = { output: path.join(dir, 'output'), summary: path.join(dir, 'summary'), event: path.join(dir, 'event.json') };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  writeFileSync(files.event, JSON.stringify(o.event));
  const env: Record<string, string> = {
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_EVENT_NAME: o.eventName,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: o.workspace,
    GITHUB_SHA: o.sha ?? '0000000000000000000000000000000000000000',
    GITHUB_REF: o.ref ?? 'refs/heads/main',
    GITHUB_RUN_ID: '4242',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_ACTOR: 'octocat',
    RUNNER_TEMP: dir,
    ...Object.fromEntries(Object.entries(o.inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v])),
    ...o.env,
  };
  const saved = { ...process.env };
  const savedExit = process.exitCode;
  Object.assign(process.env, env);
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  });
  let exitCode: typeof process.exitCode;
  try {
    process.exitCode = undefined;
    await run();
    exitCode = process.exitCode;
  } finally {
    process.stdout.write = write;
    process.exitCode = savedExit;
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  const parsed = parseCommands(stdout);
  const failure = parsed.annotations.find((a) => a.level === 'error' && a.file === undefined);
  const outputs = parseOutputFile(readFileSync(files.output, 'utf8'));
  const summary = readFileSync(files.summary, 'utf8');
  return {
    ...parsed,
    annotations: parsed.annotations.filter((a) => a !== failure),
    outputs,
    summary,
    failed: exitCode === 1,
    ...(failure ? { failure: failure.message } : {}),
  };
}
