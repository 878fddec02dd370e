// A small real repository for promotion / reconcile tests against the local Docker engine:
// one docker adapter, one platform serving busybox httpd, and environments named per run.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { commitNewRepo, tempDir } from '../helpers/repo.js';

export const PLATFORM = 'demo-platform';
/** A version whose image never turns healthy; unused by the example ecosystem, whose tags it would clobber. */
export const BROKEN = '9.9.0';

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

function doc(kind: string, name: string, spec: string[], comment = ''): string {
  return `${comment}apiVersion: mnops/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec.map((l) => `  ${l}`).join('\n')}\n`;
}

export interface EnvSpec {
  name: string;
  version: string;
  from?: string;
  /** The adapter the environment runs on (default docker). */
  adapter?: 'docker' | 'swarm';
}

/** Instance file of an environment, relative to the repo root. */
export function instanceFile(env: string): string {
  return `ecosystem/platform-cloud/${env}/platform.yaml`;
}

export function instanceText(env: string, version: string): string {
  return doc(
    'PlatformInstance',
    env,
    [`environment: ${env}`, '# the one platform of this test', 'platforms:', `  - name: ${PLATFORM}`, `    version: ${version} # pinned by the test`],
    `# instance of ${env}, written by the test\n`,
  );
}

/** Writes the repository and commits it; returns its root. */
export function writeRepo(envs: EnvSpec[]): string {
  const root = tempDir('mnops-promo-');
  const files: Record<string, string> = {
    'registry/namespaces.yaml': doc('Namespace', 'demo', ['owners: [team-demo]']),
    'ecosystem/ecosystem-cloud/adapters/docker.yaml': doc('Adapter', 'docker', ['provider: docker', 'implements: []']),
    'ecosystem/ecosystem-cloud/adapters/swarm.yaml': doc('Adapter', 'swarm', ['provider: swarm', 'implements: []']),
    [`platforms/${PLATFORM}/platform.yaml`]: doc('Platform', PLATFORM, [
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
      'resources:',
      '  cpuCores: 0.25',
      '  memoryMb: 64',
      '  diskMb: 64',
      '  maxOpenFds: 256',
      '  maxProcesses: 32',
      '  maxThreads: 64',
      'network:',
      '  policy: http-only',
      'sandbox:',
      '  readOnlyRootfs: true',
      '  noNewPrivileges: true',
      '  capDrop: [ALL]',
      '  user: "1000:1000"',
      'replicas: 1',
    ]),
  };
  for (const e of envs) {
    const promotion = e.from ? ['promotion:', `  from: ${e.from}`, '  requires:', '    approvals: 1', '    soakMinutes: 0'] : [];
    files[`ecosystem/platform-cloud/${e.name}/environment.yaml`] = doc('Environment', e.name, ['tier: dev', `adapter: ${e.adapter ?? 'docker'}`, ...promotion]);
    files[instanceFile(e.name)] = instanceText(e.name, e.version);
  }
  return commitNewRepo(root, files, 'demo ecosystem');
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** mnops/base:1.0.0 and 1.1.0 from the base image; 9.9.0 without its health file (not 1.2.0: the example's governance-platform runs mnops/base:1.2.0) (never healthy). */
export function ensureImages(): void {
  docker('tag', 'mnops/base:busybox', 'mnops/base:1.0.0');
  docker('tag', 'mnops/base:busybox', 'mnops/base:1.1.0');
  const id = docker('create', 'mnops/base:busybox', 'sh', '-c', 'rm -f /srv/www/health');
  try {
    docker('start', '-a', id);
    docker('commit', '--change', 'CMD ["httpd","-f","-p","8080","-h","/srv/www"]', id, `mnops/base:${BROKEN}`);
  } finally {
    docker('rm', '-f', id);
  }
}

/** Containers of an environment, by the provider's labels. */
export function containersOf(env: string): string[] {
  const out = docker('ps', '-a', '-q', '--filter', `label=mnops.environment=${env}`);
  return out ? out.split('\n') : [];
}
