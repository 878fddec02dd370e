// actions/drift: `mnops drift` over the chosen environments, the report in the job summary,
// and one GitHub issue per drifted environment: opened when drift appears, updated while it
// lasts, closed with a comment when it clears; optionally healed first. A heal of a staging
// or prod environment needs this run to be on the default branch and to have passed the
// protection of the GitHub environment named like it (an approved review in this run);
// otherwise the step fails before anything is read or healed.
import * as core from '@actions/core';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { appendSummary, boolInput, failStep, input, listInput, logInfo, reportPath, runAction, type ActionDeps } from '../../../tools/lib/github/action.js';
import { assertProtectedRun, type ProtectedTarget } from '../../../tools/lib/github/approvals.js';
import { createGitHubClient, type GitHubClient } from '../../../tools/lib/github/client.js';
import { tokenLogin } from '../../../tools/lib/github/comment.js';
import { openDriftIssues, syncDriftIssue, type DriftIssueResult } from '../../../tools/lib/github/drift-issue.js';
import { readActionContext } from '../../../tools/lib/github/event.js';
import { useTokenForGit } from '../../../tools/lib/github/git-auth.js';
import { detectDrift, formatEnvironmentMarkdown, formatMarkdown, outstanding } from '../../../tools/lib/drift/index.js';
import type { Ecosystem } from '../../../tools/lib/manifest/ecosystem.js';
import { PROVIDERS } from '../../../tools/lib/provider/registry.js';
import { secretValues } from '../../../tools/lib/reconcile/desired.js';
import { escapeMarkdownCell as md } from '../../../tools/lib/report/formats/markdown.js';
import { resolveRoot } from '../../../tools/lib/repo/paths.js';
import { loadEcosystem } from '../../../tools/lib/ecosystem-load/load-ecosystem.js';

/**
 * What a heal would touch: the named environments, or every one mnops can read (as
 * detectDrift picks them). A name no environment manifest declares is left to detectDrift,
 * which reports it and heals nothing there; a declared one without a tier counts as protected.
 */
function healTargets(eco: Ecosystem, names: string[]): ProtectedTarget[] {
  const picked = names.length
    ? names.filter((n) => eco.environments.has(n))
    : [...eco.environments].filter(([, env]) => PROVIDERS[eco.adapters.get(env.manifest.spec.adapter)?.manifest.spec.provider ?? '']).map(([name]) => name);
  return picked.map((environment) => ({ environment, tier: eco.environments.get(environment)?.manifest.spec.tier }));
}

export function run(deps: ActionDeps = {}): Promise<void> {
  return runAction(async () => {
    const ctx = readActionContext();
    const root = await resolveRoot(path.resolve(ctx.workspace, input('root', '.')));
    const environments = listInput('environments');
    const label = input('label', 'mnops-drift');
    const heal = boolInput('heal', false);
    const token = input('token');
    if (token) core.setSecret(token);
    const gh: GitHubClient | undefined = token ? createGitHubClient({ token, ...(deps.fetch ? { fetch: deps.fetch } : {}), warn: (m) => core.warning(m) }) : undefined;

    // Every secret value the manifests reference is masked before anything can print it: the
    // desired state compares secrets by digest, so the job gives drift their values.
    const { ecosystem } = await loadEcosystem(root);
    secretValues(ecosystem, { env: process.env, root });
    if (heal) {
      // Staging and prod are healed only from the default branch, once that GitHub
      // environment's reviewers approved this run: refused before anything is done.
      await assertProtectedRun(gh, ctx, healTargets(ecosystem, environments), 'heal');
    }
    // Drift records are pushed with the token here, not one checkout left in .git/config.
    if (token) useTokenForGit(token, ctx.serverUrl);

    const report = await detectDrift({
      root,
      ...(environments.length ? { environments } : {}),
      heal,
      prune: boolInput('prune', false),
      record: boolInput('record', true),
      actor: ctx.actor,
      onProgress: (u) => logInfo(`${u.subject}: ${u.status}`),
    });
    const reportFile = reportPath('mnops-drift.json');
    writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
    appendSummary(formatMarkdown(report));

    const issues: DriftIssueResult[] = [];
    if (!gh) core.warning('no token: drift issues are not opened or updated (pass token: ${{ github.token }})');
    else {
      // Only issues this token's identity opened are ours to update or close.
      const me = await tokenLogin(gh, input('issue-author') || undefined);
      const open = await openDriftIssues(gh, ctx, label, me);
      const footer = `\n---\n<sub>Last checked ${report.checkedAt}${ctx.runUrl ? ` by [this run](${ctx.runUrl})` : ''}. Closed by mnops when the drift clears; \`mnops drift --env ENV --heal\` reconciles it.</sub>\n`;
      for (const e of report.environments) {
        if (e.error) continue; // not checked: its issue (if any) stays as it is
        const drifted = outstanding(e).length > 0;
        const r = await syncDriftIssue(gh, ctx, open.get(e.environment), {
          environment: e.environment,
          drifted,
          body: `${formatEnvironmentMarkdown(e, report.checkedAt)}${footer}`,
          label,
          clearedNote: `✅ No drift in ${md(e.environment)} any more (checked ${report.checkedAt}${ctx.runUrl ? `, [run](${ctx.runUrl})` : ''}). Closing.`,
        });
        if (r.action !== 'none') logInfo(`${e.environment}: drift issue #${r.number} ${r.action}`);
        issues.push(r);
      }
    }

    const drifted = report.environments.filter((e) => !e.error && outstanding(e).length > 0).map((e) => e.environment);
    core.setOutput('drifted', drifted.length);
    core.setOutput('environments', JSON.stringify(drifted));
    core.setOutput('report-file', reportFile);
    core.setOutput('issues', JSON.stringify(Object.fromEntries(issues.filter((i) => i.number !== undefined && i.action !== 'closed').map((i) => [i.environment, i.number]))));
    const failed = report.environments.filter((e) => e.error);
    if (failed.length) failStep(`drift could not be checked in ${failed.map((e) => `${e.environment} (${e.error}${e.hint ? ` — ${e.hint}` : ''})`).join('; ')}`);
  });
}
