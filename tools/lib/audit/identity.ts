// Who writes a record, as the runner knows it — never as a caller types it. In GitHub
// Actions that is the workflow's actor and the run (GitHub sets both; the signing key is
// only there); anywhere else the git identity of the repository (what its commits are
// signed off as), else the operating-system user running the process.
import { execFileSync } from 'node:child_process';
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

/** `root`: the repository acted on, whose git identity names a local writer. */
export function runnerIdentity(env: NodeJS.ProcessEnv = process.env, root?: string): RunnerIdentity {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_ACTOR) {
    const run = actionsRunUrl(env);
    return { actor: env.GITHUB_ACTOR, ...(run ? { run } : {}) };
  }
  return { actor: (root !== undefined ? gitIdentity(root, env) : undefined) ?? osUser() };
}

/** `Name <email>` from git config (either alone when only one is set), or undefined. */
export function gitIdentity(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const read = (key: string) => {
    try {
      return execFileSync('git', ['config', '--get', key], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return ''; // unset, or not a repository, or no git
    }
  };
  const name = read('user.name');
  const email = read('user.email');
  if (name && email) return `${name} <${email}>`;
  return name || email || undefined;
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
