// A small real repository whose one platform receives two secrets — a runner variable and a
// file under secrets/app/ (written by the test, never committed) — in environments on docker
// and on swarm, each listing exactly those sources in spec.secretSources.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commitNewRepo, tempDir } from '../helpers/repo.js';
import { docker } from '../promotion/world.js';

export const PLATFORM = 'vault-platform';
export const PLATFORM_FILE = `platforms/${PLATFORM}/platform.yaml`;
export const SECRET_VAR = 'APP_SIGNING_SECRET';
export const SECRET_DIR = 'secrets/app';
export const SECRET_FILE = `${SECRET_DIR}/tls.key`;
export const envFile = (env: string): string => `ecosystem/platform-cloud/${env}/environment.yaml`;

export interface SecretsEnv {
  name: string;
  adapter: 'docker' | 'swarm';
}

function doc(kind: string, name: string, spec: string[]): string {
  return `apiVersion: mnops/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec.map((l) => `  ${l}`).join('\n')}\n`;
}

export function environmentText(e: SecretsEnv, extra: string[] = []): string {
  return doc('Environment', e.name, [
    'tier: dev',
    `adapter: ${e.adapter}`,
    'secretSources:',
    `  env: [${SECRET_VAR}]`,
    `  files: [${SECRET_DIR}]`,
    ...extra,
  ]);
}

/** The platform's secrets list, one reference per line (the first two are the allowed ones). */
export function secretLines(extra: string[] = []): string[] {
  return [
    'secrets:',
    `  - {name: SIGNING_SECRET, from: env, key: ${SECRET_VAR}}`,
    `  - {name: TLS_KEY, from: file, key: ${SECRET_FILE}}`,
    ...extra.map((l) => `  - ${l}`),
  ];
}

export function platformText(extra: string[] = []): string {
  return doc('Platform', PLATFORM, [
    'owner: team-demo',
    'namespace: demo',
    'version: 1.0.0',
    'image: "mnops/base:${version}"',
    'command: ["httpd", "-f", "-p", "8080", "-h", "/srv/www"]',
    'healthCheck:',
    '  command: ["wget", "-q", "-O-", "http://127.0.0.1:8080/health"]',
    '  intervalSeconds: 1',
    '  retries: 2',
    '  timeoutSeconds: 1',
    '  startPeriodSeconds: 0',
    'resources: {cpuCores: 0.25, memoryMb: 64, diskMb: 64, maxOpenFds: 256, maxProcesses: 32, maxThreads: 64}',
    'network:',
    '  policy: http-only',
    'sandbox:',
    '  readOnlyRootfs: true',
    '  noNewPrivileges: true',
    '  capDrop: [ALL]',
    '  user: "1000:1000"',
    ...secretLines(extra),
  ]);
}

/** Writes and commits the repository (the secret file is written beside it, untracked). */
export function writeSecretsRepo(envs: SecretsEnv[], tlsKey: string): string {
  const root = tempDir('mnops-secrets-');
  const files: Record<string, string> = {
    'registry/namespaces.yaml': doc('Namespace', 'demo', ['owners: [team-demo]']),
    'ecosystem/ecosystem-cloud/adapters/docker.yaml': doc('Adapter', 'docker', ['provider: docker', 'implements: []']),
    'ecosystem/ecosystem-cloud/adapters/swarm.yaml': doc('Adapter', 'swarm', ['provider: swarm', 'implements: []']),
    '.gitignore': 'secrets/\n',
    [PLATFORM_FILE]: platformText(),
  };
  for (const e of envs) {
    files[envFile(e.name)] = environmentText(e);
    files[`ecosystem/platform-cloud/${e.name}/platform.yaml`] = doc('PlatformInstance', e.name, [`environment: ${e.name}`, 'platforms:', `  - name: ${PLATFORM}`, '    version: 1.0.0']);
  }
  commitNewRepo(root, files, 'secrets world');
  writeSecret(root, tlsKey);
  return root;
}

export function writeSecret(root: string, value: string): void {
  const file = path.join(root, SECRET_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
}

/** Everything mnops created for an environment on the engine, as `kind name` lines. */
export function engineLeftovers(env: string): string[] {
  const lines = (out: string) => (out ? out.split('\n') : []);
  const label = `label=mnops.environment=${env}`;
  return [
    ...lines(docker('ps', '-a', '--filter', label, '--format', 'container {{.Names}}')),
    ...lines(docker('service', 'ls', '--filter', label, '--format', 'service {{.Name}}')),
    ...lines(docker('volume', 'ls', '--filter', label, '--format', 'volume {{.Name}}')),
    ...lines(docker('secret', 'ls', '--filter', label, '--format', 'secret {{.Name}}')),
    ...lines(docker('config', 'ls', '--filter', label, '--format', 'config {{.Name}}')),
    ...lines(docker('network', 'ls', '--filter', label, '--format', 'network {{.Name}}')),
  ].sort();
}
