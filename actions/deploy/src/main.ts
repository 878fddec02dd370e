// actions/deploy: `mnops deploy` for the inputs, with every secret masked, a GitHub
// Deployment and its statuses (in_progress, then success or failure) for the environment,
// the manifest commit pushed once the rollout is healthy and before the audit trail names it
// (a rejected push rolls the engine back), and the gate decision and rollout in the job
// summary. The gate's approvals are the ones GitHub recorded for this
// run's deployment to the environment (its required reviewers): the action takes no typed
// approvals. The final status carries the audit trail's head after the deploy.
import * as core from '@actions/core';
import path from 'node:path';
import { AuditTrail } from '../../../tools/lib/audit/index.js';
import { appendSummary, boolInput, failStep, input, logInfo, requiredInput, runAction, type ActionDeps } from '../../../tools/lib/github/action.js';
import { environmentApprovers } from '../../../tools/lib/github/approvals.js';
import { createGitHubClient } from '../../../tools/lib/github/client.js';
import { createDeployment, setDeploymentState, type AuditHead, type DeploymentRef } from '../../../tools/lib/github/deployment.js';
import { readActionContext } from '../../../tools/lib/github/event.js';
import { useTokenForGit } from '../../../tools/lib/github/git-auth.js';
import { escapeMarkdownCell as md } from '../../../tools/lib/report/formats/markdown.js';
import { checkDeployText, deployPlatform, secretValues, type DeployOutcome } from '../../../tools/lib/promotion/deploy.js';
import { parseDuration } from '../../../tools/lib/cli/numbers.js';
import { ensureCommitIdentity, pushHead } from '../../../tools/lib/repo/git.js';
import { resolveRoot } from '../../../tools/lib/repo/paths.js';
import { loadEcosystem } from '../../../tools/lib/ecosystem-load/load-ecosystem.js';

function summary(o: DeployOutcome, approvers: string[]): string {
  const head = `${md(o.platform)} ${md(o.fromVersion)} → ${md(o.toVersion)} in ${md(o.environment)}`;
  const verdict = { deployed: '✅ deployed', unchanged: '✅ already running', 'dry-run': 'dry run', denied: '❌ promotion denied', failed: '❌ rollout failed' }[o.status];
  const lines = [`## mnops deploy: ${verdict}`, '', `**${head}**`, ''];
  if (o.decision) {
    lines.push(`### Promotion gate: ${o.decision.allow ? 'allowed' : 'denied'}`, '');
    for (const r of o.decision.reasons) lines.push(`- ❌ ${md(r)}`);
    for (const r of o.decision.overrides) lines.push(`- ⚠️ override: ${md(r)}`);
    if (o.decision.allow && !o.decision.overrides.length) lines.push('- every requirement met');
    lines.push(`- approved in the GitHub environment by: ${approvers.length ? approvers.map(md).join(', ') : 'nobody'}`);
    lines.push('');
  } else lines.push('### Promotion gate: none (the environment promotes from no source)', '');
  lines.push('### Rollout', '');
  if (o.status === 'failed' && o.rolledBack !== undefined) lines.push(`- ${md(o.error ?? 'failed')}`, o.rolledBack ? '- the push failed after the rollout: the previous version was restored and git is unchanged' : '- the push failed after the rollout and restoring the previous version failed too: see the audit trail');
  else if (o.status === 'failed') lines.push(`- ${md(o.error ?? 'failed')}`, o.revertCommit ? `- manifest commit reverted (${o.revertCommit.slice(0, 12)}); the previous version keeps running` : '- nothing was committed');
  else if (o.status === 'deployed') lines.push(`- healthy; manifest commit ${o.commit ? `\`${o.commit.slice(0, 12)}\`` : '(none: the version was already declared)'}`);
  else if (o.status === 'unchanged') lines.push('- already running healthy: nothing to do');
  else lines.push('- not started');
  if (o.published) lines.push(`- pushed to the repository (${o.published.slice(0, 12)})`);
  if (o.audit) lines.push(`- audit record #${o.audit.seq} (${o.audit.action}, ${o.audit.outcome})`);
  return `${lines.join('\n')}\n`;
}

/** The last record of the trail this run wrote to; none when there is no trail to read (the status still goes out). */
async function auditHead(root: string): Promise<AuditHead | undefined> {
  try {
    const last = await (await AuditTrail.open({ root })).head();
    return last ? { seq: last.seq, hash: last.hash } : undefined;
  } catch {
    return undefined;
  }
}

export function run(deps: ActionDeps = {}): Promise<void> {
  return runAction(async () => {
    const ctx = readActionContext();
    const root = await resolveRoot(path.resolve(ctx.workspace, input('root', '.')));
    const platform = requiredInput('platform');
    const environment = requiredInput('environment');
    const version = input('version');
    const emergency = input('emergency');
    const timeoutMs = parseDuration('timeout', input('timeout', '120'));
    const token = input('token');
    if (token) core.setSecret(token);
    // Nothing with a line break reaches the deployment, the commit or its trailers.
    checkDeployText({ platform, to: environment, ...(version ? { version } : {}), actor: ctx.actor, ...(emergency ? { emergency } : {}) });

    // Every secret value the manifests reference, masked before anything can print it (and
    // any resolved later, as it is resolved: runAction registers them with the runner).
    const { ecosystem } = await loadEcosystem(root);
    secretValues(ecosystem, { env: process.env, root });
    const tier = ecosystem.environments.get(environment)?.manifest.spec.tier;

    const gh = token ? createGitHubClient({ token, ...(deps.fetch ? { fetch: deps.fetch } : {}), warn: (m) => core.warning(m) }) : undefined;
    if (!gh) core.warning('no token: no GitHub Deployment is recorded and no approval is read (pass token: ${{ github.token }})');
    // Approvals are what GitHub recorded: the reviewers who approved this run's deployment
    // to the GitHub environment named like the target. No input can add one.
    const approvals = gh ? await environmentApprovers(gh, ctx, environment) : [];
    if (gh && ctx.runId === undefined) core.warning('GITHUB_RUN_ID is not set: no environment approval can be read');
    logInfo(approvals.length ? `approved in the GitHub environment ${environment} by ${approvals.join(', ')}` : `no approval recorded for the GitHub environment ${environment} in this run`);
    let deployment: DeploymentRef | undefined;
    if (gh) {
      deployment = await createDeployment(gh, ctx, {
        ref: ctx.sha || 'HEAD',
        environment,
        description: `mnops deploy ${platform}${version ? ` ${version}` : ''} to ${environment}`,
        production: tier === 'prod',
        transient: tier === 'sandbox' || tier === 'preview',
        payload: { platform, ...(version ? { version } : {}), actor: ctx.actor, approvedBy: approvals },
      });
      await setDeploymentState(gh, deployment, 'in_progress', `deploying ${platform}`, ctx.runUrl);
    }

    await ensureCommitIdentity(root, { name: 'github-actions[bot]', email: '41898283+github-actions[bot]@users.noreply.github.com' });
    // Pushes authenticate with the token here, not with one checkout left in .git/config.
    if (token) useTokenForGit(token, ctx.serverUrl);
    // The manifest commit goes to the branch this run is on, before any record names it.
    const push = boolInput('push', true);
    if (push && !ctx.branch) core.warning('not on a branch (GITHUB_REF is no refs/heads/…): the manifest commit is not pushed, and no record names it');
    const branch = push ? ctx.branch : undefined;
    let outcome: DeployOutcome;
    try {
      outcome = await deployPlatform({
        root,
        platform,
        to: environment,
        ...(version ? { version } : {}),
        actor: ctx.actor,
        approvals,
        ...(emergency ? { emergency } : {}),
        healthTimeoutMs: timeoutMs,
        publish: branch ? () => pushHead(root, branch) : false,
        onProgress: logInfo,
      });
    } catch (err) {
      if (gh && deployment) await setDeploymentState(gh, deployment, 'error', (err as Error).message, ctx.runUrl, await auditHead(root)).catch(() => undefined);
      throw err;
    }

    const ok = outcome.status === 'deployed' || outcome.status === 'unchanged';
    if (gh && deployment) {
      const why = outcome.status === 'denied' ? `denied: ${outcome.decision?.reasons.join('; ') ?? ''}` : outcome.status === 'failed' ? `failed: ${outcome.error ?? ''}` : `${outcome.toVersion} ${outcome.status}`;
      // The trail's head after this deploy, kept by GitHub: `mnops audit verify --github` checks the trail still holds it.
      await setDeploymentState(gh, deployment, ok ? 'success' : 'failure', why, ctx.runUrl, await auditHead(root));
    }
    appendSummary(summary(outcome, approvals));
    core.setOutput('status', outcome.status);
    core.setOutput('from-version', outcome.fromVersion);
    core.setOutput('to-version', outcome.toVersion);
    core.setOutput('commit', outcome.commit ?? '');
    core.setOutput('deployment-id', deployment ? String(deployment.id) : '');
    core.setOutput('approved-by', approvals.join(','));
    if (!ok) {
      const reasons = outcome.status === 'denied' ? outcome.decision?.reasons.join('; ') : outcome.error;
      failStep(`${platform} ${outcome.toVersion} to ${environment}: ${outcome.status}${reasons ? `: ${reasons}` : ''}`);
    }
  });
}
