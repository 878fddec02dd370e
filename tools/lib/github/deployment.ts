// GitHub Deployments for promotions: one deployment per run and environment, with its
// statuses in order (in_progress, then success or failure), so the repository's environment
// page shows what runs where and who put it there. Descriptions are redacted before GitHub's
// 140-character cut, which could otherwise leave part of a secret.
import { redact } from '../secrets/index.js';
import { call, type GitHubClient } from './client.js';

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error';

export interface DeploymentRef {
  owner: string;
  repo: string;
  id: number;
  environment: string;
}

export async function createDeployment(
  gh: GitHubClient,
  where: { owner: string; repo: string },
  d: { ref: string; environment: string; description: string; production: boolean; transient: boolean; payload: Record<string, unknown> },
): Promise<DeploymentRef> {
  const { data } = await call(`record a deployment to ${d.environment}`, 'deployments: write', () =>
    gh.rest.repos.createDeployment({
      owner: where.owner,
      repo: where.repo,
      ref: d.ref,
      environment: d.environment,
      description: redact(d.description).slice(0, 140),
      auto_merge: false,
      required_contexts: [],
      production_environment: d.production,
      transient_environment: d.transient,
      payload: d.payload,
    }),
  );
  if (!('id' in data)) throw new Error(`GitHub did not create the deployment: ${data.message ?? 'no reason given'}`);
  return { owner: where.owner, repo: where.repo, id: data.id, environment: d.environment };
}

export async function setDeploymentState(gh: GitHubClient, dep: DeploymentRef, state: DeploymentState, description: string, logUrl?: string): Promise<void> {
  await call(`set the deployment status to ${state}`, 'deployments: write', () =>
    gh.rest.repos.createDeploymentStatus({
      owner: dep.owner,
      repo: dep.repo,
      deployment_id: dep.id,
      state,
      environment: dep.environment,
      description: redact(description).slice(0, 140),
      ...(logUrl ? { log_url: logUrl } : {}),
      auto_inactive: state === 'success',
    }),
  );
}
