// actions/validate: the governance check on a pull request. Findings limited to what the PR
// changes or affects, annotations on the exact lines, a job summary with a findings table
// and a graph of what is affected, SARIF for code scanning, and one sticky comment.
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { appendSummary, boolInput, input, reportPath, runAction, type ActionDeps } from '../../../tools/lib/github/action.js';
import { createGitHubClient } from '../../../tools/lib/github/client.js';
import { upsertStickyComment } from '../../../tools/lib/github/comment.js';
import { readActionContext } from '../../../tools/lib/github/event.js';
import { annotationOf, jobSummary, planAnnotations, prComment } from '../../../tools/lib/github/validate-report.js';
import { FORMATTERS } from '../../../tools/lib/report/index.js';
import { resolveRoot } from '../../../tools/lib/repo/paths.js';
import { validate } from '../../../tools/lib/validate/validate.js';
import { defaultCacheDir } from '../../../tools/lib/ecosystem-load/parse-cache.js';
import { TOOL_VERSION } from '../../../tools/lib/version.js';
import { proposedChangeMarkdown } from '../../../tools/lib/report/proposed.js';
import { pullRequestApprovers } from '../../../tools/lib/github/reviews.js';

/** Where this job's parse cache lives, and the GitHub cache key it is saved under. */
interface ParseCache {
  dir: string;
  key: string;
  restored?: string;
}

async function restoreParseCache(base: string | undefined): Promise<ParseCache | undefined> {
  // The same folder validate picks by default on a runner (the job's RUNNER_TEMP).
  const dir = defaultCacheDir();
  if (!dir) return undefined;
  const pc: ParseCache = { dir, key: `mnops-parse-${TOOL_VERSION}-${process.platform}-${base ?? 'none'}` };
  if (!cache.isFeatureAvailable()) {
    core.info('the GitHub cache service is not available: parsing without a restored cache');
    return pc;
  }
  try {
    pc.restored = await cache.restoreCache([pc.dir], pc.key, [`mnops-parse-${TOOL_VERSION}-${process.platform}-`]);
    core.info(pc.restored ? `parse cache restored (${pc.restored})` : 'no parse cache yet for this branch');
  } catch (err) {
    core.info(`parse cache not restored: ${(err as Error).message}`);
  }
  return pc;
}

async function saveParseCache(pc: ParseCache): Promise<void> {
  if (!cache.isFeatureAvailable() || pc.restored === pc.key) return;
  try {
    await cache.saveCache([pc.dir], pc.key);
  } catch (err) {
    // A cache that cannot be saved costs time next run, never a verdict.
    core.info(`parse cache not saved: ${(err as Error).message}`);
  }
}

async function prApprovers(token: string, ctx: ReturnType<typeof readActionContext>, deps: ActionDeps): Promise<string[]> {
  try {
    const gh = createGitHubClient({ token, ...(deps.fetch ? { fetch: deps.fetch } : {}), warn: (m) => core.warning(m) });
    return await pullRequestApprovers(gh, { owner: ctx.owner, repo: ctx.repo, pull: ctx.pullRequest!.number });
  } catch (err) {
    // Without the reviews, exceptions the PR adds simply do not count: the check stays strict.
    const e = err as Error & { hint?: string };
    core.warning(`cannot read the pull request's reviews, so exceptions it adds do not count: ${e.message}${e.hint ? ` — ${e.hint}` : ''}`);
    return [];
  }
}

export const COMMENT_MARKER = 'mnops:governance';

export function run(deps: ActionDeps = {}): Promise<void> {
  return runAction(async () => {
    const ctx = readActionContext();
    const root = await resolveRoot(path.resolve(ctx.workspace, input('root', '.')));
    const prefix = path.relative(ctx.workspace, root).split(path.sep).join('/') || '.';
    const base = ctx.pullRequest?.baseSha;
    const failOn = input('fail-on', 'error');
    if (failOn !== 'error' && failOn !== 'warning') throw new Error(`input fail-on is "${failOn}": use error or warning`);

    // $MNOPS_NOW pins the time expiry is judged at (reproducible runs), as for the CLI.
    const now = process.env.MNOPS_NOW ? new Date(process.env.MNOPS_NOW) : new Date();
    const token = input('token');
    if (token) core.setSecret(token);
    // Exceptions a PR adds count only with the approval of an allowed reviewer: read from GitHub.
    const approvedBy = () => (ctx.pullRequest && token ? prApprovers(token, ctx, deps) : Promise.resolve([]));
    // The parse cache of this job, restored from GitHub's cache (scoped per branch, so a PR
    // cannot poison the default branch's) — never a folder a self-hosted runner shares.
    const parseCache = await restoreParseCache(base);
    // The PR is judged by its base's bundle, settings and exceptions, never by its own.
    const outcome = await validate({ root, now, ...(parseCache ? { cacheDir: parseCache.dir } : {}), ...(base ? { changedSince: base, approvedBy } : {}) });
    if (parseCache) await saveParseCache(parseCache);
    const { report } = outcome;
    const plan = planAnnotations(report.findings);
    for (const f of plan.annotated) {
      // Escaped: a manifest's text never becomes a workflow command.
      const a = annotationOf(f, prefix);
      if (f.severity === 'error') core.error(a.message, a.properties);
      else if (f.severity === 'warning') core.warning(a.message, a.properties);
      else core.notice(a.message, a.properties);
    }

    const sarifFile = path.resolve(ctx.workspace, input('sarif-file', 'mnops.sarif'));
    writeFileSync(sarifFile, FORMATTERS.sarif(report, { color: false }).output);
    const reportFile = reportPath('mnops-report.json');
    writeFileSync(reportFile, FORMATTERS.json(report, { color: false }).output);

    const summaryInput = { report, ecosystem: outcome.ecosystem, plan, prefix, ...(outcome.impact ? { impact: outcome.impact } : {}), ...(base ? { base } : {}) };
    appendSummary(jobSummary(summaryInput) + proposedChangeMarkdown(report));

    let commentUrl = '';
    if (ctx.pullRequest && boolInput('comment', true)) {
      if (!token) core.warning('no token: the pull-request comment is skipped (pass token: ${{ github.token }})');
      else {
        try {
          const gh = createGitHubClient({ token, ...(deps.fetch ? { fetch: deps.fetch } : {}), warn: (m) => core.warning(m) });
          const body = prComment({ ...summaryInput, ...(ctx.runUrl ? { runUrl: ctx.runUrl } : {}) }) + proposedChangeMarkdown(report);
          const c = await upsertStickyComment(gh, { owner: ctx.owner, repo: ctx.repo, issue: ctx.pullRequest.number }, COMMENT_MARKER, body, {
            ...(input('comment-author') ? { fallbackAuthor: input('comment-author') } : {}),
          });
          if (c.ignored.length) core.warning(`ignored ${c.ignored.length} comment(s) that carry the mnops marker but were not written by this token's identity`);
          commentUrl = c.url;
          core.info(`${c.created ? 'commented' : 'updated the comment'} on #${ctx.pullRequest.number}: ${c.url}`);
        } catch (err) {
          // The check itself stands: a comment that cannot be written is a warning, not a failure.
          const e = err as Error & { hint?: string };
          core.warning(`${e.message}${e.hint ? ` — ${e.hint}` : ''}`);
        }
      }
    }

    const { errors, warnings } = report.summary;
    core.setOutput('errors', errors);
    core.setOutput('warnings', warnings);
    core.setOutput('findings', report.findings.length);
    core.setOutput('sarif-file', sarifFile);
    core.setOutput('report-file', reportFile);
    core.setOutput('comment-url', commentUrl);
    if (errors > 0 || (failOn === 'warning' && warnings > 0)) {
      core.setFailed(`mnops governance: ${errors} error(s) and ${warnings} warning(s) in what this change affects — see the annotations and the job summary`);
    }
  });
}
