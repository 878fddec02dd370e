// actions/drift: `mnops drift` over the chosen environments, the report in the job summary,
// and one GitHub issue per drifted environment: opened when drift appears, updated while it
// lasts, closed with a comment when it clears; optionally healed first.
import * as core from '@actions/core';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { appendSummary, boolInput, input, listInput, reportPath, runAction, type ActionDeps } from '../../../tools/lib/github/action.js';
import { createGitHubClient } from '../../../tools/lib/github/client.js';
import { openDriftIssues, syncDriftIssue, type DriftIssueResult } from '../../../tools/lib/github/drift-issue.js';
import { readActionContext } from '../../../tools/lib/github/event.js';
import { detectDrift, formatEnvironmentMarkdown, formatMarkdown, outstanding } from '../../../tools/lib/drift/index.js';
import { resolveRoot } from '../../../tools/lib/repo/paths.js';

export function run(deps: ActionDeps = {}): Promise<void> {
  return runAction(async () => {
    const ctx = readActionContext();
    const root = await resolveRoot(path.resolve(ctx.workspace, input('root', '.')));
    const environments = listInput('environments');
    const label = input('label', 'mnops-drift');
    const token = input('token');
    if (token) core.setSecret(token);

    const report = await detectDrift({
      root,
      ...(environments.length ? { environments } : {}),
      heal: boolInput('heal', false),
      prune: boolInput('prune', false),
      record: boolInput('record', true),
      actor: ctx.actor,
      onProgress: (m) => core.info(m),
    });
    const reportFile = reportPath('mnops-drift.json');
    writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
    appendSummary(formatMarkdown(report));

    const issues: DriftIssueResult[] = [];
    if (!token) core.warning('no token: drift issues are not opened or updated (pass token: ${{ github.token }})');
    else {
      const gh = createGitHubClient({ token, ...(deps.fetch ? { fetch: deps.fetch } : {}), warn: (m) => core.warning(m) });
      const open = await openDriftIssues(gh, ctx, label);
      const footer = `\n---\n<sub>Last checked ${report.checkedAt}${ctx.runUrl ? ` by [this run](${ctx.runUrl})` : ''}. Closed by mnops when the drift clears; \`mnops drift --env ENV --heal\` reconciles it.</sub>\n`;
      for (const e of report.environments) {
        if (e.error) continue; // not checked: its issue (if any) stays as it is
        const drifted = outstanding(e).length > 0;
        const r = await syncDriftIssue(gh, ctx, open.get(e.environment), {
          environment: e.environment,
          drifted,
          body: `${formatEnvironmentMarkdown(e, report.checkedAt)}${footer}`,
          label,
          clearedNote: `✅ No drift in ${e.environment} any more (checked ${report.checkedAt}${ctx.runUrl ? `, [run](${ctx.runUrl})` : ''}). Closing.`,
        });
        if (r.action !== 'none') core.info(`${e.environment}: drift issue #${r.number} ${r.action}`);
        issues.push(r);
      }
    }

    const drifted = report.environments.filter((e) => !e.error && outstanding(e).length > 0).map((e) => e.environment);
    core.setOutput('drifted', drifted.length);
    core.setOutput('environments', JSON.stringify(drifted));
    core.setOutput('report-file', reportFile);
    core.setOutput('issues', JSON.stringify(Object.fromEntries(issues.filter((i) => i.number !== undefined && i.action !== 'closed').map((i) => [i.environment, i.number]))));
    const failed = report.environments.filter((e) => e.error);
    if (failed.length) core.setFailed(`drift could not be checked in ${failed.map((e) => `${e.environment} (${e.error}${e.hint ? ` — ${e.hint}` : ''})`).join('; ')}`);
  });
}
