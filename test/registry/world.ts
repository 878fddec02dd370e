// Small ecosystems written as real YAML files in a temp dir and loaded the way the CLI loads
// them, so line and column numbers in assertions are the ones a user would see.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Ecosystem } from '../../tools/lib/manifest/ecosystem.js';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import { tempDir } from '../helpers/repo.js';

export type Files = Record<string, string>;

/**
 * One manifest. The header is five lines (apiVersion, kind, metadata, name, spec), so
 * `spec[i]` is on line 6 + i.
 */
export function doc(kind: string, name: string, spec: string[]): string {
  return [`apiVersion: mnops/v1`, `kind: ${kind}`, `metadata:`, `  name: ${name}`, `spec:`, ...spec.map((l) => `  ${l}`)].join('\n') + '\n';
}

/** A PolicyException waiving resources.ceiling for `target` (its lines under `target:`). */
export function waiver(name: string, target: string[]): string {
  return doc('PolicyException', name, [
    'rule: resources.ceiling',
    'target:',
    ...target.map((l) => `  ${l}`),
    'reason: a waiver long enough to be valid',
    'approvedBy: platform-engineering',
    'expires: 2099-12-31',
  ]);
}

const contract = (name: string, version: string) =>
  doc('Contract', name, [`version: ${version}`, 'operations:', '  - name: ping']);

/**
 * The base world. Templates: base ← http-service, batch. Platforms: db (base, provides
 * storage@1.1.0), api (http-service, consumes storage, provides queue, dependsOn db), worker
 * (batch, consumes queue), report (batch, dependsOn api), lone (batch, nothing, runs nowhere).
 * Environments dev → staging → prod on docker/swarm, and sandbox on swarm.
 */
export const BASE: Files = {
  'registry/namespaces.yaml': doc('Namespace', 'ops', ['owners: [team-a]']) + '---\n' + doc('Namespace', 'data', ['owners: [team-b]']),
  'ecosystem/platform-templates/base.yaml': doc('PlatformTemplate', 'base', ['replicas: 1']),
  'ecosystem/platform-templates/http-service.yaml': doc('PlatformTemplate', 'http-service', ['extends: base', 'replicas: 2']),
  'ecosystem/platform-templates/batch.yaml': doc('PlatformTemplate', 'batch', ['replicas: 1']),
  'ecosystem/contracts/storage/1.0.0.yaml': contract('storage', '1.0.0'),
  'ecosystem/contracts/storage/1.1.0.yaml': contract('storage', '1.1.0'),
  'ecosystem/contracts/storage/2.0.0.yaml': contract('storage', '2.0.0'),
  'ecosystem/contracts/queue/1.0.0.yaml': contract('queue', '1.0.0'),
  'ecosystem/ecosystem-cloud/adapters/docker.yaml': doc('Adapter', 'docker', ['provider: docker', 'implements:', '  - storage@1.1.0']),
  'ecosystem/ecosystem-cloud/adapters/swarm.yaml': doc('Adapter', 'swarm', ['provider: swarm', 'implements:', '  - queue@1.0.0']),
  'platforms/db-platform/platform.yaml': doc('Platform', 'db-platform', [
    'owner: team-b',
    'namespace: data',
    'version: 1.0.0',
    'extends: base',
    'provides:',
    '  - storage@1.1.0',
  ]),
  'platforms/api-platform/platform.yaml': doc('Platform', 'api-platform', [
    'owner: team-a',
    'namespace: ops',
    'version: 1.2.0',
    'extends: http-service',
    'provides:',
    '  - queue@1.0.0',
    'consumes:',
    '  - storage@^1.0.0',
    'dependsOn:',
    '  - db-platform',
  ]),
  'platforms/worker-platform/platform.yaml': doc('Platform', 'worker-platform', [
    'owner: team-a',
    'namespace: ops',
    'version: 0.3.0',
    'extends: batch',
    'consumes:',
    '  - queue@^1.0.0',
  ]),
  'platforms/report-platform/platform.yaml': doc('Platform', 'report-platform', [
    'owner: team-a',
    'namespace: ops',
    'version: 2.0.0',
    'extends: batch',
    'dependsOn:',
    '  - api-platform',
  ]),
  'platforms/lone-platform/platform.yaml': doc('Platform', 'lone-platform', ['owner: team-b', 'namespace: data', 'version: 0.1.0', 'extends: batch']),
  'ecosystem/platform-cloud/dev/environment.yaml': doc('Environment', 'dev', ['tier: dev', 'adapter: docker']),
  'ecosystem/platform-cloud/staging/environment.yaml': doc('Environment', 'staging', ['tier: staging', 'adapter: docker', 'promotion:', '  from: dev']),
  'ecosystem/platform-cloud/prod/environment.yaml': doc('Environment', 'prod', ['tier: prod', 'adapter: swarm', 'promotion:', '  from: staging']),
  'ecosystem/platform-cloud/sandbox/environment.yaml': doc('Environment', 'sandbox', ['tier: sandbox', 'ttl: 48h', 'adapter: swarm']),
  'ecosystem/platform-cloud/dev/platform.yaml': doc('PlatformInstance', 'dev', [
    'environment: dev',
    'platforms:',
    '  - name: db-platform',
    '    version: 1.0.0',
    '  - name: api-platform',
    '    version: 1.2.0',
    '  - name: worker-platform',
    '    version: 0.3.0',
    '  - name: report-platform',
    '    version: 2.0.0',
  ]),
  'ecosystem/platform-cloud/staging/platform.yaml': doc('PlatformInstance', 'staging', [
    'environment: staging',
    'platforms:',
    '  - name: db-platform',
    '    version: 1.0.0',
    '  - name: api-platform',
    '    version: 1.2.0',
  ]),
  'ecosystem/platform-cloud/prod/platform.yaml': doc('PlatformInstance', 'prod', [
    'environment: prod',
    'platforms:',
    '  - name: db-platform',
    '    version: 1.0.0',
  ]),
  'ecosystem/platform-cloud/sandbox/platform.yaml': doc('PlatformInstance', 'sandbox', [
    'environment: sandbox',
    'platforms:',
    '  - name: worker-platform',
    '    version: 0.3.0',
  ]),
  'ecosystem/governance/exceptions/api-prod-replicas.yaml': doc('PolicyException', 'api-prod-replicas', [
    'rule: resources.ceiling',
    'target:',
    '  kind: Platform',
    '  name: api-platform',
    '  environment: prod',
    'reason: load tests need more memory until the cache lands',
    'approvedBy: platform-engineering',
    'expires: 2099-12-31',
  ]),
};

const dirs: string[] = [];

/** Write `files` into a fresh temp dir; a value of null leaves the file out. */
export function writeWorld(files: Record<string, string | null>): string {
  const root = tempDir('mnops-registry-');
  dirs.push(root);
  writeFiles(root, files);
  return root;
}

export function writeFiles(root: string, files: Record<string, string | null>): void {
  for (const [file, text] of Object.entries(files)) {
    if (text === null) continue;
    const abs = path.join(root, file);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
}

export function removeWorlds(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Load through the CLI's path; `clean` (the default) asserts the files themselves are valid. */
export async function load(root: string, options: { clean?: boolean } = {}): Promise<Ecosystem> {
  const { ecosystem, findings } = await loadEcosystem(root, { cacheDir: false });
  if (options.clean !== false) expect(findings).toEqual([]);
  return ecosystem;
}

export async function world(overrides: Record<string, string | null> = {}, options: { clean?: boolean } = {}): Promise<{ root: string; eco: Ecosystem }> {
  const root = writeWorld({ ...BASE, ...overrides });
  return { root, eco: await load(root, options) };
}
