// An in-memory GitHub REST API for tests, as a fetch function to hand to Octokit:
// `new Octokit({ request: { fetch: api.fetch } })`. Every request it receives and every response
// it returns is checked against GitHub's OpenAPI description (openapi-check.ts); a violation
// rejects the fetch and is kept in `api.violations`, so a test can fail on it even when the code
// under test swallows the error. Response bodies are complete samples generated from the spec
// with the fake's own state laid over them, so code that reads any documented field gets one.
import { createHash } from 'node:crypto';
import { githubContract, type Route } from './openapi-check.js';

export interface IssueComment {
  id: number;
  issue_number: number;
  body: string;
  author: string;
  created_at: string;
  updated_at: string;
}
export type StateReason = 'completed' | 'not_planned' | 'duplicate' | 'reopened';
export interface Issue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  state: 'open' | 'closed';
  state_reason: StateReason | null;
  author: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}
export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';
export interface DeploymentStatus {
  id: number;
  state: DeploymentState;
  description: string;
  environment: string;
  log_url: string;
  target_url: string;
  environment_url: string;
  creator: string;
  created_at: string;
}
export interface Deployment {
  id: number;
  ref: string;
  sha: string;
  task: string;
  environment: string;
  original_environment: string;
  description: string | null;
  payload: unknown;
  auto_merge: boolean;
  required_contexts: string[] | undefined;
  production_environment: boolean;
  transient_environment: boolean;
  creator: string;
  created_at: string;
  updated_at: string;
  /** Oldest first (the API lists them newest first). */
  statuses: DeploymentStatus[];
}
export type ReviewState = 'approved' | 'rejected' | 'pending';
/** A review of a workflow run's environment deployments (its approval history). */
export interface RunReview {
  environments: string[];
  state: ReviewState;
  user: string;
  comment: string;
}
export type PullReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
/** A review of a pull request. */
export interface PullReview {
  id: number;
  pull: number;
  user: string;
  state: PullReviewState;
  body: string;
  commit_id: string;
  submitted_at: string;
}
export interface ApiCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** The status returned; 0 when the request was rejected as a contract violation. */
  status: number;
}
export interface FaultMatcher {
  method?: string;
  path?: RegExp;
}
export type FaultStatus = 403 | 404 | 422 | 500;

export interface FakeGitHub {
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  readonly owner: string;
  readonly repo: string;
  /** Who the token belongs to: the author of what the code under test creates. */
  readonly login: string;
  /** Every request, in order. */
  readonly calls: ApiCall[];
  /** Every contract violation (and request to an operation the fake does not implement). */
  readonly violations: string[];
  /** Comment threads by issue (or pull request) number, oldest first. */
  readonly comments: Record<number, IssueComment[]>;
  readonly issues: Issue[];
  readonly deployments: Deployment[];
  /** Review history of workflow runs, by run id, oldest first. */
  readonly runReviews: Record<number, RunReview[]>;
  /** Reviews of pull requests, oldest first. */
  readonly pullReviews: PullReview[];
  seedComments(issueNumber: number, bodies: string[], author?: string): IssueComment[];
  seedIssue(issue: { title: string; body?: string | null; labels?: string[]; state?: 'open' | 'closed'; state_reason?: StateReason | null; author?: string }): Issue;
  /** A reviewer approves (or rejects) a run's deployment to GitHub environments. */
  seedRunReview(runId: number, review: { environments: string[]; user: string; state?: ReviewState; comment?: string }): RunReview;
  /** A reviewer reviews a pull request (APPROVED unless said). */
  seedPullReview(pull: number, review: { user: string; state?: PullReviewState; body?: string; commit_id?: string }): PullReview;
  /** The next matching request gets this error status (a retry then succeeds). */
  failNext(matcher: FaultMatcher, status: FaultStatus, message?: string): void;
  /** Every matching request gets this error status, e.g. a token without a permission. */
  failAlways(matcher: FaultMatcher, status: FaultStatus, message?: string): void;
  clearFaults(): void;
  /** Test hook for the checker itself: the next success response loses a required field. */
  corruptNextResponse(): void;
}

/**
 * Named AbortError on purpose: @octokit/request rethrows an AbortError from fetch as it is,
 * where any other error becomes a RequestError 500 that plugin-retry retries (1 + 4 + 9 s).
 */
export class ContractViolationError extends Error {
  override name = 'AbortError';
}

/**
 * `login` is whom the token belongs to. A bot login (`…[bot]`) is an installation token, as
 * GITHUB_TOKEN is: GET /user refuses it with 403, as GitHub does; any other login is a
 * user's token, which GET /user answers.
 */
export function fakeGitHub(options: { owner?: string; repo?: string; login?: string; defaultBranch?: string } = {}): FakeGitHub {
  return new FakeGitHubApi(options.owner ?? 'octo-org', options.repo ?? 'octo-repo', options.login ?? 'github-actions[bot]', options.defaultBranch ?? 'main');
}

const API = 'https://api.github.com';
const WEB = 'https://github.com';
const EPOCH = Date.UTC(2026, 0, 1);
const MAX_COMMENT = 65536;
const MAX_STATUS_DESCRIPTION = 140;
const DEFAULT_MESSAGES: Record<FaultStatus, string> = {
  403: 'Resource not accessible by integration',
  404: 'Not Found',
  422: 'Validation Failed',
  500: 'Internal Server Error',
};

type Json = Record<string, unknown>;
interface Ctx {
  route: Route;
  params: Record<string, string>;
  query: Record<string, string>;
  body: Json;
  url: URL;
}
interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
interface Fault {
  matcher: FaultMatcher;
  status: FaultStatus;
  message: string;
  once: boolean;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep-merges `patch` into `base` (a fresh sample); an undefined value removes the field. */
function overlay(base: unknown, patch: Json): Json {
  const out = isObject(base) ? base : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete out[k];
    else if (isObject(v) && isObject(out[k])) out[k] = overlay(out[k], v);
    else out[k] = v;
  }
  return out;
}

class FakeGitHubApi implements FakeGitHub {
  readonly calls: ApiCall[] = [];
  readonly violations: string[] = [];
  readonly comments: Record<number, IssueComment[]> = {};
  readonly issues: Issue[] = [];
  readonly deployments: Deployment[] = [];
  readonly runReviews: Record<number, RunReview[]> = {};
  readonly pullReviews: PullReview[] = [];
  private readonly environmentIds = new Map<string, number>();
  private readonly faults: Fault[] = [];
  private readonly labelIds = new Map<string, number>();
  private corruptNext = false;
  private clock = 0;
  private nextId = 1000;

  constructor(
    readonly owner: string,
    readonly repo: string,
    readonly login: string,
    readonly defaultBranch: string,
  ) {}

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const req = input instanceof Request ? input : undefined;
    const url = new URL(req?.url ?? String(input as string | URL));
    const method = (init?.method ?? req?.method ?? 'GET').toUpperCase();
    const raw = init?.body !== undefined && init.body !== null ? await new Response(init.body).text() : req ? await req.text() : '';
    // GitHub Enterprise Server serves the same API under /api/v3.
    const path = url.pathname.replace(/^\/api\/v3(?=\/)/, '');
    const call: ApiCall = { method, path, query: Object.fromEntries(url.searchParams), body: undefined, status: 0 };
    this.calls.push(call);
    try {
      call.body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      return this.violate(call, undefined, [`the request body is not JSON: ${raw.slice(0, 80)}`]);
    }
    return this.handle(call, url);
  };

  seedComments(issueNumber: number, bodies: string[], author = 'octocat'): IssueComment[] {
    return bodies.map((body) => this.addComment(issueNumber, body, author));
  }

  seedIssue(seed: { title: string; body?: string | null; labels?: string[]; state?: 'open' | 'closed'; state_reason?: StateReason | null; author?: string }): Issue {
    const issue = this.addIssue(seed.title, seed.body ?? null, seed.labels ?? [], seed.author ?? 'octocat');
    if (seed.state === 'closed') this.setState(issue, 'closed', seed.state_reason ?? 'completed');
    return issue;
  }

  seedRunReview(runId: number, review: { environments: string[]; user: string; state?: ReviewState; comment?: string }): RunReview {
    const r: RunReview = { environments: review.environments, user: review.user, state: review.state ?? 'approved', comment: review.comment ?? '' };
    (this.runReviews[runId] ??= []).push(r);
    return r;
  }

  seedPullReview(pull: number, review: { user: string; state?: PullReviewState; body?: string; commit_id?: string }): PullReview {
    const r: PullReview = {
      id: this.id(),
      pull,
      user: review.user,
      state: review.state ?? 'APPROVED',
      body: review.body ?? '',
      commit_id: review.commit_id ?? '0'.repeat(40),
      submitted_at: this.now(),
    };
    this.pullReviews.push(r);
    return r;
  }

  failNext(matcher: FaultMatcher, status: FaultStatus, message = DEFAULT_MESSAGES[status]): void {
    this.faults.push({ matcher, status, message, once: true });
  }

  failAlways(matcher: FaultMatcher, status: FaultStatus, message = DEFAULT_MESSAGES[status]): void {
    this.faults.push({ matcher, status, message, once: false });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  corruptNextResponse(): void {
    this.corruptNext = true;
  }

  // --- the request pipeline -------------------------------------------------------------------

  private handle(call: ApiCall, url: URL): Response {
    const contract = githubContract();
    const route = contract.route(call.method, call.path);
    if (typeof route === 'string') return this.violate(call, undefined, [route]);
    const problems = contract.checkRequest(route, call.query, call.body);
    if (problems.length) return this.violate(call, route, problems);

    const reply = this.injectedFault(call, route) ?? this.dispatch(route, call, url);
    if (this.corruptNext && reply.status < 300 && this.corrupt(reply.body)) this.corruptNext = false;
    const responseProblems = contract.checkResponse(route, reply.status, reply.body);
    if (responseProblems.length) return this.violate(call, route, responseProblems);
    call.status = reply.status;
    return this.respond(reply);
  }

  private dispatch(route: Route, call: ApiCall, url: URL): Reply {
    const handler = this.handlers[`${route.method} ${route.template}`];
    if (!handler) {
      const message = `fake GitHub does not implement ${route.method} ${route.template} (${route.operation.operationId})`;
      this.violations.push(message);
      throw new ContractViolationError(message);
    }
    const { owner, repo } = route.pathParams;
    if (owner !== undefined && (owner.toLowerCase() !== this.owner.toLowerCase() || repo?.toLowerCase() !== this.repo.toLowerCase())) {
      return this.error(route, 404, 'Not Found');
    }
    return handler({ route, params: route.pathParams, query: call.query, body: isObject(call.body) ? call.body : {}, url });
  }

  private violate(call: ApiCall, route: Route | undefined, problems: string[]): never {
    const where = `${call.method} ${call.path}${route ? ` (${route.operation.operationId})` : ''}`;
    const messages = problems.map((p) => `${where}: ${p}`);
    this.violations.push(...messages);
    throw new ContractViolationError(`OpenAPI contract violation: ${messages.join('\n')}`);
  }

  private injectedFault(call: ApiCall, route: Route): Reply | undefined {
    const i = this.faults.findIndex(
      ({ matcher: m }) => (!m.method || m.method.toUpperCase() === call.method) && (!m.path || m.path.test(call.path)),
    );
    const fault = this.faults[i];
    if (!fault) return undefined;
    if (fault.once) this.faults.splice(i, 1);
    return this.error(route, fault.status, fault.message);
  }

  /** Removes a required field (id, else the first) from the body or its first item. */
  private corrupt(body: unknown): boolean {
    const target = Array.isArray(body) ? body[0] : body;
    if (!isObject(target)) return false;
    delete target['id' in target ? 'id' : Object.keys(target)[0]!];
    return true;
  }

  private respond(reply: Reply): Response {
    const n = this.calls.length;
    const headers = new Headers({
      'x-github-request-id': `FAKE:${n.toString(16).toUpperCase().padStart(6, '0')}`,
      'x-github-api-version-selected': '2022-11-28',
      // Plenty left: the throttling plugin waits when remaining is 0.
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(1000, 5000 - n)),
      'x-ratelimit-used': String(Math.min(n, 4000)),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      ...reply.headers,
    });
    if (reply.body === undefined) return new Response(null, { status: reply.status, headers });
    headers.set('content-type', 'application/json; charset=utf-8');
    return new Response(JSON.stringify(reply.body), { status: reply.status, headers });
  }

  private error(route: Route, status: number, message: string, errors?: Json[]): Reply {
    const documentation_url = route.operation.externalDocs?.url ?? 'https://docs.github.com/rest';
    const body = status === 422 ? { message, errors: errors ?? [], documentation_url } : { message, documentation_url, status: String(status) };
    return { status, body };
  }

  private invalid(route: Route, resource: string, field: string, message: string): Reply {
    return this.error(route, 422, 'Validation Failed', [{ resource, code: 'custom', field, message }]);
  }

  // --- operations -----------------------------------------------------------------------------

  private readonly handlers: Record<string, (c: Ctx) => Reply> = {
    'GET /user': (c) =>
      // An installation token (GITHUB_TOKEN, a GitHub App's) has no user behind it.
      this.login.endsWith('[bot]') ? this.error(c.route, 403, 'Resource not accessible by integration') : { status: 200, body: this.sampled(c, 200, this.authenticatedUserJson()) },
    'GET /repos/{owner}/{repo}': (c) => ({ status: 200, body: this.sampled(c, 200, this.repoJson()) }),
    'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews': (c) =>
      this.paginated(c, this.pullReviews.filter((r) => r.pull === Number(c.params.pull_number)), (r) => this.pullReviewJson(r)),
    'GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals': (c) => ({
      status: 200,
      body: (this.runReviews[Number(c.params.run_id)] ?? []).map((r) => this.sampled(c, 200, this.reviewJson(r))),
    }),
    'GET /repos/{owner}/{repo}/issues': (c) => this.listIssues(c),
    'POST /repos/{owner}/{repo}/issues': (c) => this.createIssue(c),
    'GET /repos/{owner}/{repo}/issues/{issue_number}': (c) => this.withIssue(c, (i) => ({ status: 200, body: this.sampled(c, 200, this.issueJson(i)) })),
    'PATCH /repos/{owner}/{repo}/issues/{issue_number}': (c) => this.withIssue(c, (i) => this.updateIssue(c, i)),
    'GET /repos/{owner}/{repo}/issues/{issue_number}/comments': (c) => this.listComments(c),
    'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': (c) => this.createComment(c),
    'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}': (c) => this.updateComment(c),
    'GET /repos/{owner}/{repo}/deployments': (c) => this.listDeployments(c),
    'POST /repos/{owner}/{repo}/deployments': (c) => this.createDeployment(c),
    'GET /repos/{owner}/{repo}/deployments/{deployment_id}': (c) => this.withDeployment(c, (d) => ({ status: 200, body: this.sampled(c, 200, this.deploymentJson(d)) })),
    'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses': (c) =>
      this.withDeployment(c, (d) => this.paginated(c, [...d.statuses].reverse(), (s) => this.statusJson(d, s))),
    'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses': (c) => this.withDeployment(c, (d) => this.createStatus(c, d)),
  };

  private listIssues(c: Ctx): Reply {
    const state = c.query.state ?? 'open';
    // Label names match case-insensitively; an issue must carry every label asked for.
    const labels = c.query.labels ? c.query.labels.split(',').map((l) => l.trim().toLowerCase()) : [];
    const found = this.issues
      .filter((i) => (state === 'all' || i.state === state) && labels.every((l) => i.labels.some((x) => x.toLowerCase() === l)))
      .sort((a, b) => (c.query.direction === 'asc' ? a.number - b.number : b.number - a.number));
    return this.paginated(c, found, (i) => this.issueJson(i));
  }

  private createIssue(c: Ctx): Reply {
    const body = typeof c.body.body === 'string' ? c.body.body : null;
    if (body && body.length > MAX_COMMENT) return this.invalid(c.route, 'Issue', 'body', `body is too long (maximum is ${MAX_COMMENT} characters)`);
    const issue = this.addIssue(String(c.body.title), body, labelNames(c.body.labels), this.login);
    return this.created(c, this.issueJson(issue));
  }

  private updateIssue(c: Ctx, issue: Issue): Reply {
    const b = c.body;
    if (typeof b.title === 'string' || typeof b.title === 'number') issue.title = String(b.title);
    if (typeof b.body === 'string' || b.body === null) issue.body = b.body;
    if (Array.isArray(b.labels)) issue.labels = labelNames(b.labels);
    if (b.state === 'closed' || b.state === 'open') this.setState(issue, b.state, b.state_reason as StateReason | null | undefined);
    else issue.updated_at = this.now();
    return { status: 200, body: this.sampled(c, 200, this.issueJson(issue)) };
  }

  private listComments(c: Ctx): Reply {
    const since = c.query.since;
    const thread = (this.comments[Number(c.params.issue_number)] ?? []).filter((x) => !since || x.updated_at >= since);
    return this.paginated(c, thread, (x) => this.commentJson(x));
  }

  private createComment(c: Ctx): Reply {
    const body = String(c.body.body);
    if (body.length > MAX_COMMENT) return this.invalid(c.route, 'IssueComment', 'body', `body is too long (maximum is ${MAX_COMMENT} characters)`);
    return this.created(c, this.commentJson(this.addComment(Number(c.params.issue_number), body, this.login)));
  }

  private updateComment(c: Ctx): Reply {
    const id = Number(c.params.comment_id);
    const comment = Object.values(this.comments).flat().find((x) => x.id === id);
    if (!comment) return this.error(c.route, 404, 'Not Found');
    const body = String(c.body.body);
    if (body.length > MAX_COMMENT) return this.invalid(c.route, 'IssueComment', 'body', `body is too long (maximum is ${MAX_COMMENT} characters)`);
    Object.assign(comment, { body, updated_at: this.now() });
    return { status: 200, body: this.sampled(c, 200, this.commentJson(comment)) };
  }

  private listDeployments(c: Ctx): Reply {
    const q = c.query;
    const found = this.deployments.filter(
      (d) => (!q.sha || d.sha === q.sha) && (!q.ref || d.ref === q.ref) && (!q.task || d.task === q.task) && (!q.environment || d.environment === q.environment),
    );
    return this.paginated(c, found.reverse(), (d) => this.deploymentJson(d));
  }

  private createDeployment(c: Ctx): Reply {
    const b = c.body;
    const ref = String(b.ref);
    const environment = typeof b.environment === 'string' ? b.environment : 'production';
    const at = this.now();
    const deployment: Deployment = {
      id: this.id(),
      ref,
      sha: /^[0-9a-f]{40}$/.test(ref) ? ref : createHash('sha1').update(ref).digest('hex'),
      task: typeof b.task === 'string' ? b.task : 'deploy',
      environment,
      original_environment: environment,
      description: typeof b.description === 'string' || b.description === null ? b.description : '',
      payload: b.payload ?? {},
      auto_merge: b.auto_merge !== false,
      required_contexts: Array.isArray(b.required_contexts) ? b.required_contexts.map(String) : undefined,
      production_environment: typeof b.production_environment === 'boolean' ? b.production_environment : environment === 'production',
      transient_environment: b.transient_environment === true,
      creator: this.login,
      created_at: at,
      updated_at: at,
      statuses: [],
    };
    this.deployments.push(deployment);
    return this.created(c, this.deploymentJson(deployment));
  }

  private createStatus(c: Ctx, d: Deployment): Reply {
    const b = c.body;
    const str = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
    const description = str(b.description, '');
    if (description.length > MAX_STATUS_DESCRIPTION) {
      return this.invalid(c.route, 'DeploymentStatus', 'description', `description is too long (maximum is ${MAX_STATUS_DESCRIPTION} characters)`);
    }
    // Environment defaults to the previous status's, and a given one moves the deployment.
    const environment = str(b.environment, d.statuses.at(-1)?.environment ?? d.environment);
    d.environment = environment;
    const logUrl = str(b.log_url, str(b.target_url, ''));
    const status = this.addStatus(d, b.state as DeploymentState, { description, environment, log_url: logUrl, target_url: logUrl, environment_url: str(b.environment_url, '') });
    if (status.state === 'success' && b.auto_inactive !== false) this.deactivateOlder(d);
    return this.created(c, this.statusJson(d, status));
  }

  /** auto_inactive: older non-transient, non-production deployments to the environment whose last status is success. */
  private deactivateOlder(d: Deployment): void {
    for (const old of this.deployments) {
      const last = old.statuses.at(-1);
      if (old.id >= d.id || old.environment !== d.environment || old.transient_environment || old.production_environment || last?.state !== 'success') continue;
      this.addStatus(old, 'inactive', { description: '', environment: old.environment, log_url: '', target_url: '', environment_url: '' });
    }
  }

  // --- state ----------------------------------------------------------------------------------

  /** A fake clock: one second per write, so creation order is visible in timestamps. */
  private now(): string {
    return new Date(EPOCH + ++this.clock * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private id(): number {
    return ++this.nextId;
  }

  private thread(issueNumber: number): IssueComment[] {
    return (this.comments[issueNumber] ??= []);
  }

  private addComment(issueNumber: number, body: string, author: string): IssueComment {
    const at = this.now();
    const comment = { id: this.id(), issue_number: issueNumber, body, author, created_at: at, updated_at: at };
    this.thread(issueNumber).push(comment);
    return comment;
  }

  /** Pull requests share the issues' numbers: a new issue comes after every number in use. */
  private addIssue(title: string, body: string | null, labels: string[], author: string): Issue {
    const used = [...this.issues.map((i) => i.number), ...Object.keys(this.comments).map(Number)];
    const at = this.now();
    const issue: Issue = {
      id: this.id(),
      number: Math.max(0, ...used) + 1,
      title,
      body,
      labels,
      state: 'open',
      state_reason: null,
      author,
      created_at: at,
      updated_at: at,
      closed_at: null,
    };
    this.issues.push(issue);
    return issue;
  }

  private setState(issue: Issue, state: 'open' | 'closed', reason: StateReason | null | undefined): void {
    const at = this.now();
    if (state === 'closed') {
      issue.state_reason = reason ?? (issue.state === 'closed' ? issue.state_reason : 'completed');
      if (issue.state !== 'closed') issue.closed_at = at;
    } else {
      issue.state_reason = issue.state === 'closed' ? 'reopened' : issue.state_reason;
      issue.closed_at = null;
    }
    issue.state = state;
    issue.updated_at = at;
  }

  private addStatus(d: Deployment, state: DeploymentState, fields: Pick<DeploymentStatus, 'description' | 'environment' | 'log_url' | 'target_url' | 'environment_url'>): DeploymentStatus {
    const status: DeploymentStatus = { id: this.id(), state, ...fields, creator: this.login, created_at: this.now() };
    d.statuses.push(status);
    d.updated_at = status.created_at;
    return status;
  }

  private withIssue(c: Ctx, f: (issue: Issue) => Reply): Reply {
    const issue = this.issues.find((i) => i.number === Number(c.params.issue_number));
    return issue ? f(issue) : this.error(c.route, 404, 'Not Found');
  }

  private withDeployment(c: Ctx, f: (d: Deployment) => Reply): Reply {
    const d = this.deployments.find((x) => x.id === Number(c.params.deployment_id));
    return d ? f(d) : this.error(c.route, 404, 'Not Found');
  }

  // --- representations: a sample of the response schema with the fake's state laid over it ----

  private sampled(c: Ctx, status: number, fields: Json): Json {
    return overlay(githubContract().sampleResponse(c.route, status), fields);
  }

  private created(c: Ctx, fields: Json): Reply {
    const body = this.sampled(c, 201, fields);
    return { status: 201, body, headers: { location: String(body.url) } };
  }

  /** One page (per_page, default 30, at most 100) and a Link header like GitHub's. */
  private paginated<T>(c: Ctx, items: T[], toJson: (item: T) => Json): Reply {
    const perPage = Math.min(100, Math.max(1, Number(c.query.per_page ?? 30)));
    const page = Math.max(1, Number(c.query.page ?? 1));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number, rel: string) => {
      const u = new URL(c.url);
      u.searchParams.set('page', String(p));
      return `<${u.href}>; rel="${rel}"`;
    };
    const links = [
      ...(page > 1 ? [link(page - 1, 'prev')] : []),
      ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
      ...(page > 1 ? [link(1, 'first')] : []),
    ];
    const body = items.slice((page - 1) * perPage, page * perPage).map((item) => this.sampled(c, 200, toJson(item)));
    return { status: 200, body, headers: links.length ? { link: links.join(', ') } : {} };
  }

  private get apiRepo(): string {
    return `${API}/repos/${this.owner}/${this.repo}`;
  }

  private get webRepo(): string {
    return `${WEB}/${this.owner}/${this.repo}`;
  }

  private user(login: string): Json {
    // github-actions[bot]'s real id; others get a stable one from the login.
    const id = login === 'github-actions[bot]' ? 41898282 : createHash('sha1').update(login).digest().readUInt32BE(0) % 1e8;
    const api = `${API}/users/${encodeURIComponent(login)}`;
    return {
      login,
      id,
      node_id: `U_${id}`,
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
      site_admin: false,
      name: undefined,
      email: undefined,
      starred_at: undefined,
      gravatar_id: '',
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      url: api,
      html_url: `${WEB}/${login}`,
      ...Object.fromEntries(['followers', 'subscriptions', 'organizations', 'repos', 'received_events'].map((k) => [`${k}_url`, `${api}/${k}`])),
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      events_url: `${api}/events{/privacy}`,
    };
  }

  private labelJson(name: string): Json {
    const id = this.labelIds.get(name) ?? this.id();
    this.labelIds.set(name, id);
    return { id, node_id: `LA_${id}`, url: `${this.apiRepo}/labels/${encodeURIComponent(name)}`, name, description: null, color: 'ededed', default: false };
  }

  private commentJson(x: IssueComment): Json {
    return {
      id: x.id,
      node_id: `IC_${x.id}`,
      url: `${this.apiRepo}/issues/comments/${x.id}`,
      html_url: `${this.webRepo}/issues/${x.issue_number}#issuecomment-${x.id}`,
      issue_url: `${this.apiRepo}/issues/${x.issue_number}`,
      body: x.body,
      user: this.user(x.author),
      created_at: x.created_at,
      updated_at: x.updated_at,
      author_association: x.author === this.owner ? 'OWNER' : 'NONE',
      // Present only with other media types or features; a sample would mislead.
      body_text: undefined,
      body_html: undefined,
      performed_via_github_app: null,
      pin: undefined,
      minimized: undefined,
    };
  }

  private issueJson(i: Issue): Json {
    const url = `${this.apiRepo}/issues/${i.number}`;
    return {
      id: i.id,
      node_id: `I_${i.id}`,
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      state_reason: i.state_reason,
      user: this.user(i.author),
      labels: i.labels.map((l) => this.labelJson(l)),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: this.comments[i.number]?.length ?? 0,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      closed_by: i.state === 'closed' ? this.user(this.login) : null,
      url,
      repository_url: this.apiRepo,
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      timeline_url: `${url}/timeline`,
      html_url: `${this.webRepo}/issues/${i.number}`,
      author_association: i.author === this.owner ? 'OWNER' : 'NONE',
      performed_via_github_app: null,
      // Sampled, these would make every issue a draft pull request with a milestone and a parent.
      pull_request: undefined,
      draft: undefined,
      repository: undefined,
      body_text: undefined,
      body_html: undefined,
      type: undefined,
      pinned_comment: undefined,
      parent_issue_url: undefined,
      issue_field_values: undefined,
    };
  }

  private deploymentJson(d: Deployment): Json {
    const url = `${this.apiRepo}/deployments/${d.id}`;
    return {
      id: d.id,
      node_id: `DE_${d.id}`,
      url,
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      payload: d.payload,
      original_environment: d.original_environment,
      environment: d.environment,
      description: d.description,
      creator: this.user(d.creator),
      created_at: d.created_at,
      updated_at: d.updated_at,
      statuses_url: `${url}/statuses`,
      repository_url: this.apiRepo,
      transient_environment: d.transient_environment,
      production_environment: d.production_environment,
      performed_via_github_app: null,
    };
  }

  private statusJson(d: Deployment, s: DeploymentStatus): Json {
    const deploymentUrl = `${this.apiRepo}/deployments/${d.id}`;
    return {
      id: s.id,
      node_id: `DES_${s.id}`,
      url: `${deploymentUrl}/statuses/${s.id}`,
      state: s.state,
      creator: this.user(s.creator),
      description: s.description,
      environment: s.environment,
      target_url: s.target_url,
      log_url: s.log_url,
      environment_url: s.environment_url,
      created_at: s.created_at,
      updated_at: s.created_at,
      deployment_url: deploymentUrl,
      repository_url: this.apiRepo,
      performed_via_github_app: null,
    };
  }

  private authenticatedUserJson(): Json {
    const u = this.user(this.login);
    // A public profile (GET /user answers private-user or public-user): its own fields only.
    return { ...u, user_view_type: 'public', name: null, company: null, blog: null, location: null, email: null, hireable: null, bio: null };
  }

  private environmentJson(name: string): Json {
    const id = this.environmentIds.get(name) ?? this.id();
    this.environmentIds.set(name, id);
    return {
      id,
      node_id: `EN_${id}`,
      name,
      url: `${this.apiRepo}/environments/${encodeURIComponent(name)}`,
      html_url: `${this.webRepo}/deployments/activity_log?environments_filter=${encodeURIComponent(name)}`,
      created_at: new Date(EPOCH).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      updated_at: new Date(EPOCH).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  }

  private pullReviewJson(r: PullReview): Json {
    const html = `${this.webRepo}/pull/${r.pull}#pullrequestreview-${r.id}`;
    return {
      id: r.id,
      node_id: `PRR_${r.id}`,
      user: this.user(r.user),
      body: r.body,
      state: r.state,
      html_url: html,
      pull_request_url: `${this.apiRepo}/pulls/${r.pull}`,
      _links: { html: { href: html }, pull_request: { href: `${this.apiRepo}/pulls/${r.pull}` } },
      // A pending review has not been submitted.
      submitted_at: r.state === 'PENDING' ? undefined : r.submitted_at,
      commit_id: r.commit_id,
      author_association: r.user === this.owner ? 'OWNER' : 'COLLABORATOR',
      body_html: undefined,
      body_text: undefined,
    };
  }

  private reviewJson(r: RunReview): Json {
    return { environments: r.environments.map((e) => this.environmentJson(e)), state: r.state, user: this.user(r.user), comment: r.comment };
  }

  private repoJson(): Json {
    return {
      id: 1296269,
      node_id: 'R_1296269',
      name: this.repo,
      full_name: `${this.owner}/${this.repo}`,
      owner: this.user(this.owner),
      private: false,
      fork: false,
      archived: false,
      disabled: false,
      default_branch: this.defaultBranch,
      url: this.apiRepo,
      html_url: this.webRepo,
      // A sampled repository would claim a fork parent, a template and an organization.
      parent: undefined,
      source: undefined,
      template_repository: undefined,
      organization: undefined,
    };
  }
}

/** Label names from a request's labels: strings or { name } objects. */
function labelNames(labels: unknown): string[] {
  if (!Array.isArray(labels)) return [];
  return labels.map((l) => (isObject(l) ? String(l.name) : String(l)));
}
