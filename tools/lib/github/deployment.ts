// GitHub Deployments for promotions: one deployment per run and environment, with its
// statuses in order (in_progress, then success or failure), so the repository's environment
// page shows what runs where and who put it there. The final status also carries the audit
// trail's head (seq and hash) after the deploy: a copy of the chain outside git, which
// `mnops audit verify --github` checks the trail still contains.
// Descriptions are redacted before GitHub's 140-character cut, which could otherwise leave
// part of a secret.
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

/** The head of the audit chain: its last record's seq and hash. */
export interface AuditHead {
  seq: number;
  hash: string;
}

const MAX_DESCRIPTION = 140;
const HEAD_TEXT = / · audit #(\d+) ([0-9a-f]{64})$/;

/** A status description that ends with the audit head, the rest cut to fit GitHub's 140 characters. */
export function describeWithHead(description: string, head?: AuditHead): string {
  if (!head) return description.slice(0, MAX_DESCRIPTION);
  const tail = ` · audit #${head.seq} ${head.hash}`;
  return `${description.slice(0, MAX_DESCRIPTION - tail.length)}${tail}`;
}

/** The audit head a status description carries, if any. */
export function headOf(description: string | null | undefined): AuditHead | undefined {
  const m = description ? HEAD_TEXT.exec(description) : null;
  return m ? { seq: Number(m[1]), hash: m[2]! } : undefined;
}

export interface RecordedHead extends AuditHead {
  deploymentId: number;
  environment: string;
  statusId: number;
  createdAt: string;
}

/** Every audit head the repository's deployment statuses carry (all deployments, all statuses). */
export async function recordedHeads(gh: GitHubClient, where: { owner: string; repo: string }): Promise<RecordedHead[]> {
  const deployments = await call('list the deployments', 'deployments: read', () => gh.paginate(gh.rest.repos.listDeployments, { owner: where.owner, repo: where.repo, per_page: 100 }));
  const heads: RecordedHead[] = [];
  for (const d of deployments) {
    const statuses = await call(`list the statuses of deployment ${d.id}`, 'deployments: read', () =>
      gh.paginate(gh.rest.repos.listDeploymentStatuses, { owner: where.owner, repo: where.repo, deployment_id: d.id, per_page: 100 }),
    );
    for (const s of statuses) {
      const head = headOf(s.description);
      if (head) heads.push({ ...head, deploymentId: d.id, environment: s.environment ?? d.environment, statusId: s.id, createdAt: s.created_at });
    }
  }
  return heads;
}

export async function setDeploymentState(gh: GitHubClient, dep: DeploymentRef, state: DeploymentState, description: string, logUrl?: string, head?: AuditHead): Promise<void> {
  await call(`set the deployment status to ${state}`, 'deployments: write', () =>
    gh.rest.repos.createDeploymentStatus({
      owner: dep.owner,
      repo: dep.repo,
      deployment_id: dep.id,
      state,
      environment: dep.environment,
      description: describeWithHead(redact(description), head),
      ...(logUrl ? { log_url: logUrl } : {}),
      auto_inactive: state === 'success',
    }),
  );
}
