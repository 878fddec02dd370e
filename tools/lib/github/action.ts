// What the three actions share: inputs with defaults (action.yml defaults do not apply when
// run() is called directly), the failure path (one sentence and a hint, never a stack
// trace for an expected error), where reports go, and masking: every secret value the run
// resolves is registered with the runner (core.setSecret) as it is resolved, and everything
// the action writes itself — failures, log lines, summaries — is redacted.
import * as core from '@actions/core';
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MnopsError } from '../repo/errors.js';
import { onSecret, redact } from '../secrets/index.js';
import { escapeControlChars, showControlChars } from '../report/formats/text.js';

export interface ActionDeps {
  /** Injected into Octokit (tests check every call against GitHub's OpenAPI description). */
  fetch?: typeof fetch;
}

export function input(name: string, fallback = ''): string {
  return core.getInput(name) || fallback;
}

/** A required input: missing is one sentence saying where to set it, not a stack trace. */
export function requiredInput(name: string): string {
  const v = core.getInput(name).trim();
  if (!v) throw new MnopsError(`input ${name} is required and was not given`, `set it under with: in the workflow step`);
  return v;
}

export function boolInput(name: string, fallback: boolean): boolean {
  const v = core.getInput(name).trim().toLowerCase();
  if (v === '') return fallback;
  if (['true', 'yes', '1', 'on'].includes(v)) return true;
  if (['false', 'no', '0', 'off'].includes(v)) return false;
  throw new MnopsError(`input ${name} is "${v}", not true or false`, `set ${name}: true or ${name}: false`);
}

export function listInput(name: string): string[] {
  return core
    .getInput(name)
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * One line of log output that quotes names or messages: control characters (line breaks
 * included) shown as escapes, and a leading `::` broken, so the runner — which reads a
 * workflow command from any line that starts with `::` after spaces — never takes it for one.
 */
export function logLine(message: string): string {
  return escapeControlChars(redact(message)).replace(/^(\s*)::/, '$1\\::');
}

/** core.info of logLine(message): progress messages of the library. */
export function logInfo(message: string): void {
  core.info(logLine(message));
}

/** Reports nobody commits: the runner's temp folder. */
export function reportPath(file: string): string {
  return path.join(process.env.RUNNER_TEMP || os.tmpdir(), file);
}

/**
 * Runs an action body; an expected error fails the step with its sentence and hint (which
 * may quote a manifest: control characters are shown as escapes, core escapes line breaks).
 */
export async function runAction(body: () => Promise<void>): Promise<void> {
  const unsubscribe = onSecret((value) => core.setSecret(value));
  try {
    await body();
  } catch (err) {
    if (err instanceof MnopsError) failStep(err.hint ? `${err.message} — ${err.hint}` : err.message);
    else core.setFailed(redact(err instanceof Error ? (err.stack ?? err.message) : String(err)));
  } finally {
    unsubscribe();
  }
}

/** Fails the step with one sentence (which may quote a manifest or an engine): redacted, control characters shown. */
export function failStep(message: string): void {
  core.setFailed(showControlChars(redact(message)));
}

/**
 * Appends markdown to the job summary ($GITHUB_STEP_SUMMARY). Written directly rather than
 * through core.summary, which remembers the first file it saw for the life of the process.
 */
export function appendSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  const text = redact(markdown);
  if (!file) {
    core.info(text);
    return;
  }
  appendFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
}
