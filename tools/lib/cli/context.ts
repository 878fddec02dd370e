// What every command shares: the repository root, colour, output and exit codes.
import { execFile } from 'node:child_process';
import { writeFile, rename, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { runnerIdentity } from '../audit/identity.js';
import { UsageError } from '../repo/errors.js';
import { resolveRoot } from '../repo/paths.js';
import { redact } from '../secrets/index.js';

const run = promisify(execFile);

/** The exit codes of every command: 0 nothing found, 1 found something, 2 could not do the job. */
export const EXIT = { OK: 0, FOUND: 1, FAILED: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** `--root`, or the git top level of the working directory, or the working directory. */
export async function rootFromOption(option: string | undefined): Promise<string> {
  if (option) return resolveRoot(option);
  try {
    const { stdout } = await run('git', ['rev-parse', '--show-toplevel'], { cwd: process.cwd() });
    return resolveRoot(stdout.trim());
  } catch {
    return resolveRoot(process.cwd());
  }
}

/** Colour only on a TTY and never with NO_COLOR (FORCE_COLOR forces it, for CI logs that render ANSI). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

/** Write a report atomically (temp file + rename): a crash never leaves half a file. */
export async function writeOutputFile(file: string, content: string): Promise<void> {
  const abs = path.resolve(file);
  await mkdir(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.${process.pid}.tmp`;
  await writeFile(tmp, redact(content));
  await rename(tmp, abs);
}

export const OUTPUT_HELP = 'write the report to this file (atomically, no colour) instead of stdout';

/**
 * The one meaning of `--output FILE` for every command that has it: the report goes to FILE
 * (atomically, without colour) instead of stdout. Without it, the report goes to stdout.
 */
export async function writeReport(output: string | undefined, render: (color: boolean) => string | Promise<string>): Promise<void> {
  if (output) await writeOutputFile(output, await render(false));
  else await writeStdout(await render(useColor()));
}

/** Everything the CLI prints goes through redaction: a secret this run resolved is never shown. */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (text === '') return resolve();
    process.stdout.write(redact(text), () => resolve());
  });
}

/** Who runs the command on `root`, as its audit trail records it: the runner's identity (see runnerIdentity). */
export function cliActor(root: string): string {
  return runnerIdentity(process.env, root).actor;
}

/** `--confirm-prune N` (a count, parsed with the option): only with `--prune`. */
export function confirmPruneCount(flags: { prune?: boolean; confirmPrune?: number }, prune = '--prune'): number | undefined {
  if (flags.confirmPrune === undefined) return undefined;
  if (!flags.prune) throw new UsageError(`--confirm-prune confirms a prune: it needs ${prune}`, `add ${prune}`);
  return flags.confirmPrune;
}
