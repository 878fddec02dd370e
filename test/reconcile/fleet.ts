// A small real repository with three platforms (two of them through a template), settings
// and environments on docker or swarm: enough to break one file of each kind and watch
// what the reconciler does with the workloads already running.
import { loadEnvironment } from '../../tools/lib/reconcile/declaration.js';
import { providerFor } from '../../tools/lib/provider/registry.js';
import { commitNewRepo, tempDir } from '../helpers/repo.js';
import { docker } from '../promotion/world.js';

export const FLEET = ['alpha-platform', 'beta-platform', 'gamma-platform'] as const;
export const TEMPLATE_FILE = 'ecosystem/platform-templates/svc.yaml';
export const SETTINGS_FILE = 'ecosystem/governance/settings.yaml';
export const platformFile = (p: string): string => `platforms/${p}/platform.yaml`;
export const envFile = (env: string): string => `ecosystem/platform-cloud/${env}/environment.yaml`;
export const instanceFile = (env: string): string => `ecosystem/platform-cloud/${env}/platform.yaml`;

export interface FleetEnv {
  name: string;
  adapter: 'docker' | 'swarm';
  tier?: 'dev' | 'staging' | 'prod';
  from?: string;
  platforms?: readonly string[];
}

function doc(kind: string, name: string, spec: string[]): string {
  return `apiVersion: mnops/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec.map((l) => `  ${l}`).join('\n')}\n`;
}

const HTTPD = 'command: ["httpd", "-f", "-p", "8080", "-h", "/srv/www"]';
const HEALTH = ['healthCheck:', '  command: ["wget", "-q", "-O-", "http://127.0.0.1:8080/health"]', '  intervalSeconds: 1', '  retries: 2', '  timeoutSeconds: 1', '  startPeriodSeconds: 0'];
const LIMITS = ['resources:', '  cpuCores: 0.25', '  memoryMb: 64', '  diskMb: 64', '  maxOpenFds: 256', '  maxProcesses: 32', '  maxThreads: 64'];
const HARDENED = ['sandbox:', '  readOnlyRootfs: true', '  noNewPrivileges: true', '  capDrop: [ALL]', '  user: "1000:1000"'];

export function instanceText(env: string, platforms: readonly string[], version = '1.0.0'): string {
  const entries = platforms.length ? platforms.flatMap((p) => [`  - name: ${p}`, `    version: ${version}`]) : [];
  return doc('PlatformInstance', env, [`environment: ${env}`, platforms.length ? 'platforms:' : 'platforms: []', ...entries]);
}

export function environmentText(e: FleetEnv): string {
  const promotion = e.from ? ['promotion:', `  from: ${e.from}`, '  requires:', '    approvals: 1', '    soakMinutes: 0'] : [];
  const tier = e.tier ?? 'dev';
  // staging and prod platforms must be pinned and healthy-checked: they are (exact versions).
  return doc('Environment', e.name, [`tier: ${tier}`, `adapter: ${e.adapter}`, ...promotion]);
}

/** Writes the repository, commits it and returns its root. */
export function writeFleet(envs: FleetEnv[]): string {
  const root = tempDir('mnops-fleet-');
  const files: Record<string, string> = {
    'registry/namespaces.yaml': doc('Namespace', 'demo', ['owners: [team-demo]']),
    'ecosystem/ecosystem-cloud/adapters/docker.yaml': doc('Adapter', 'docker', ['provider: docker', 'implements: []']),
    'ecosystem/ecosystem-cloud/adapters/swarm.yaml': doc('Adapter', 'swarm', ['provider: swarm', 'implements: []']),
    [SETTINGS_FILE]: doc('PolicySettings', 'governance', ['tiers:', '  dev:', '    ceilings: {cpuCores: 4, memoryMb: 4096, diskMb: 20480, maxOpenFds: 65536, maxProcesses: 4096, maxThreads: 8192}']),
    [TEMPLATE_FILE]: doc('PlatformTemplate', 'svc', ['image: "mnops/base:${version}"', HTTPD, ...HEALTH, ...LIMITS, 'network:', '  policy: http-only', ...HARDENED]),
    [platformFile('alpha-platform')]: doc('Platform', 'alpha-platform', [
      'owner: team-demo',
      'namespace: demo',
      'version: 1.0.0',
      'image: "mnops/base:${version}"',
      HTTPD,
      ...HEALTH,
      ...LIMITS,
      'network:',
      '  policy: http-only',
      ...HARDENED,
      'env:',
      '  GREETING: hello',
    ]),
    [platformFile('beta-platform')]: doc('Platform', 'beta-platform', ['owner: team-demo', 'namespace: demo', 'version: 1.0.0', 'extends: svc', 'env:', '  ROLE: beta']),
    [platformFile('gamma-platform')]: doc('Platform', 'gamma-platform', ['owner: team-demo', 'namespace: demo', 'version: 1.0.0', 'extends: svc', 'dependsOn: [beta-platform]']),
  };
  for (const e of envs) {
    files[envFile(e.name)] = environmentText(e);
    files[instanceFile(e.name)] = instanceText(e.name, e.platforms ?? FLEET);
  }
  return commitNewRepo(root, files, 'fleet');
}

/** Every managed container and service of an environment, as `name id` lines, sorted. */
export function engineObjects(env: string): string[] {
  const lines = (out: string) => (out ? out.split('\n') : []);
  const containers = lines(docker('ps', '-a', '--filter', `label=mnops.environment=${env}`, '--format', '{{.Names}} {{.ID}}'));
  const services = lines(docker('service', 'ls', '--filter', `label=mnops.environment=${env}`, '--format', '{{.Name}} {{.ID}}'));
  // Swarm tasks are containers too, but carry the service's labels only on the service.
  return [...services.map((s) => `service ${s}`), ...containers.filter((c) => !c.includes('.')).map((c) => `container ${c}`)].sort();
}

/** Removes everything mnops runs in an environment, through the same path as `mnops teardown`. */
export async function tearDown(root: string, env: string): Promise<void> {
  const { ecosystem } = await loadEnvironment(root, env);
  const provider = providerFor(ecosystem, env);
  await provider.ping();
  await provider.teardown(env);
}
