// actions/validate: the governance check on a pull request. Findings limited to what the PR
// changes or affects, annotations on the exact lines, a job summary with a findings table
// and a graph of what is affected, SARIF for code scanning, and one sticky comment.
import * as core from '@actions/core';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { appendSummary, boolInput, input, reportPath, runAction, type ActionDeps } from '../../../tools/lib/github/action.js';
import { createGitHubClient } from '../../../tools/lib/github/client.js';
import { upsertStickyComment } from '../../../tools/lib/github/comment.js';
import { readActionContext } from '../../../tools/lib/github/event.js';
import { jobSummary, joinPath, planAnnotations, prComment } from '../../../tools/lib/github/validate-report.js';
import { FORMATTERS } from '../../../tools/lib/report/index.js';
import { messageWithHint } from '../../../tools/lib/report/finding.js';
import { resolveRoot } from '../../../tools/lib/repo/paths.js';
import { validate } from '../../../tools/lib/validate/validate.js';

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
    const outcome = await validate({ root, now, ...(base ? { changedSince: base } : {}) });
    const { report } = outcome;
    const plan = planAnnotations(report.findings);
    const at = (f: (typeof report.findings)[number]) => ({
      title: f.ruleId,
      file: joinPath(prefix, f.file),
      startLine: f.line,
      startColumn: f.column,
    });
    for (const f of plan.annotated) {
      if (f.severity === 'error') core.error(messageWithHint(f), at(f));
      else if (f.severity === 'warning') core.warning(messageWithHint(f), at(f));
      else core.notice(messageWithHint(f), at(f));
    }

    const sarifFile = path.resolve(ctx.workspace, input('sarif-file', 'mnops.sarif'));
    writeFileSync(sarifFile, FORMATTERS.sarif(report, { color: false }).output);
    const reportFile = reportPath('mnops-report.json');
    writeFileSync(reportFile, FORMATTERS.json(report, { color: false }).output);

    const summaryInput = { report, ecosystem: outcome.ecosystem, plan, prefix, ...(outcome.impact ? { impact: outcome.impact } : {}), ...(base ? { base } : {}) };
    appendSummary(jobSummary(summaryInput));

    let commentUrl = '';
    const token = input('token');
    if (ctx.pullRequest && boolInput('comment', true)) {
      if (!token) core.warning('no token: the pull-request comment is skipped (pass token: ${{ github.token }})');
      else {
        try {
          const gh = createGitHubClient({ token, ...(deps.fetch ? { fetch: deps.fetch } : {}), warn: (m) => core.warning(m) });
          const body = prComment({ ...summaryInput, ...(ctx.runUrl ? { runUrl: ctx.runUrl } : {}) });
          const c = await upsertStickyComment(gh, { owner: ctx.owner, repo: ctx.repo, issue: ctx.pullRequest.number }, COMMENT_MARKER, body);
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
