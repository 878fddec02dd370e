// One way to talk to GitHub: Octokit with the retry and throttling plugins, an injectable
// fetch (tests check every request against GitHub's OpenAPI description), the free text of
// every request redacted (issue and comment bodies, titles, deployment descriptions and
// payloads), and errors that say which permission is missing instead of a bare 403 or 404.
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { MnopsError } from '../repo/errors.js';
import { redact, redactDeep } from '../secrets/index.js';

// Typed as plain Octokit: the plugins add options, not endpoints.
const GitHubOctokit: typeof Octokit = Octokit.plugin(retry, throttling);
export type GitHubClient = Octokit;

export class GitHubError extends MnopsError {}

export interface ClientOptions {
  token: string;
  /** Default: $GITHUB_API_URL, else https://api.github.com. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Warnings (rate limits, retries) go here; default stderr. */
  warn?: (message: string) => void;
  /** Retries of a rate-limited request before giving up (default 2). */
  rateLimitRetries?: number;
}

/** Request parameters that carry free text: what a secret could reach GitHub in. */
const FREE_TEXT = ['body', 'title', 'description'] as const;

/** A plugin as a plain function: every request's free text redacted on its way out. */
export function redactRequests(octokit: Octokit): void {
  octokit.hook.before('request', (options) => {
    const params = options as Record<string, unknown>;
    for (const key of FREE_TEXT) if (typeof params[key] === 'string') params[key] = redact(params[key]);
    if (params.payload !== undefined) params.payload = redactDeep(params.payload);
  });
}

export function createGitHubClient(options: ClientOptions): GitHubClient {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  const limit = options.rateLimitRetries ?? 2;
  const onLimit = (kind: string) => (retryAfter: number, req: { method: string; url: string }, _o: unknown, retryCount: number) => {
    warn(`GitHub ${kind} rate limit hit on ${req.method} ${req.url}; ${retryCount < limit ? `retrying in ${retryAfter} s` : 'giving up'}`);
    return retryCount < limit;
  };
  const octokit = new GitHubOctokit({
    auth: options.token,
    baseUrl: options.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com',
    userAgent: 'machine-native-ops',
    request: options.fetch ? { fetch: options.fetch } : {},
    // Only server errors and timeouts are retried: a 4xx says something a retry cannot fix.
    retry: { doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] },
    throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
    // Octokit logs every failed request on its own; the failure reaches the caller as an
    // error (explain() words it), so its log lines would only repeat it.
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  redactRequests(octokit);
  return octokit;
}

/**
 * A failed GitHub call as one sentence: `what` was being done, and for 401/403/404 the
 * permission the workflow must grant (`permission` as written in `permissions:`).
 */
export function explain(err: unknown, what: string, permission: string): Error {
  const status = (err as { status?: number }).status;
  const message = (err as { response?: { data?: { message?: string } } }).response?.data?.message ?? (err instanceof Error ? err.message : String(err));
  switch (status) {
    case 401:
      return new GitHubError(`GitHub refused to ${what}: the token is missing or invalid (401: ${message})`, 'pass a token, e.g. with: token: ${{ github.token }}');
    case 403:
      if (/rate limit/i.test(message)) return new GitHubError(`GitHub refused to ${what}: rate limit exceeded (403: ${message})`, 'run again later');
      return new GitHubError(
        `GitHub refused to ${what}: the token lacks the ${permission} permission (403: ${message})`,
        `grant it to the job: permissions: { ${permission} }${permission.startsWith('pull-requests') ? ' (a pull request from a fork only ever gets a read-only token)' : ''}`,
      );
    case 404:
      return new GitHubError(
        `GitHub could not find what it needs to ${what} (404: ${message}): it does not exist, or the token cannot see it without the ${permission} permission`,
        `check the repository name, and grant the job: permissions: { ${permission} }`,
      );
    default:
      return err instanceof MnopsError ? err : new GitHubError(`GitHub failed to ${what}${status ? ` (${status})` : ''}: ${message}`);
  }
}

/** Runs one GitHub call, turning its failure into a clear GitHubError. */
export async function call<T>(what: string, permission: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw explain(err, what, permission);
  }
}
