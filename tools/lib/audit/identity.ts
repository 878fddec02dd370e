// Who writes a record, as the runner knows it — never as a caller types it. In GitHub
// Actions that is the workflow's actor and the run (GitHub sets both; the signing key is
// only there); anywhere else the operating-system user running the process.
import os from 'node:os';

export interface RunnerIdentity {
  actor: string;
  /** The Actions run that wrote the record. */
  run?: string;
}

/** This run's page, when running in GitHub Actions with the variables the runner sets. */
export function actionsRunUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID) return undefined;
  return `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
}

export function runnerIdentity(env: NodeJS.ProcessEnv = process.env): RunnerIdentity {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_ACTOR) {
    const run = actionsRunUrl(env);
    return { actor: env.GITHUB_ACTOR, ...(run ? { run } : {}) };
  }
  return { actor: osUser() };
}

/** The account of this process (not $USER, which any caller can set). */
function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // A uid without a passwd entry (some containers).
    return `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}
