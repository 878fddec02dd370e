// A synthetic ecosystem for the benchmarks: the example's layout and style at any size,
// valid by construction (zero findings), and deterministic (seeded) so figures are
// comparable between runs. Files average ~35 lines, the reference size of the validate bars.
//
// Shape, for N manifest files: ~0.5% Namespaces, a few dozen PlatformTemplates (chains up
// to 3 deep), 6 Adapters, Contracts in several versions, ~1% Environments (each with a
// PlatformInstance placing 20-50 platforms), and Platforms for the rest. Platforms are
// "cores" (shared services that provide a contract) and blocks of 8 that depend on cores
// and on earlier platforms of their block, so the dependency graph is a DAG whose closures
// stay small, and an environment can place whole blocks plus the cores they need.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SyntheticSummary {
  /** Manifest files written (one document each). */
  files: number;
  platforms: number;
  templates: number;
  namespaces: number;
  contracts: number;
  adapters: number;
  environments: number;
  instances: number;
  /** Average lines per manifest file. */
  avgLines: number;
}

export interface GenerateOptions {
  /** PRNG seed: the same seed and size give byte-identical files. */
  seed?: number;
  /** Make the folder a git repository with one commit (default true). */
  git?: boolean;
}

/** Platforms per block: an environment places whole blocks. */
const BLOCK = 8;
const CLOUD_CONTRACTS = ['storage', 'compute', 'queue', 'secrets', 'logging'] as const;
const ADAPTERS = [
  { name: 'docker', provider: 'docker', settings: ['socket: /var/run/docker.sock'] },
  { name: 'swarm', provider: 'swarm', settings: ['advertiseAddr: 127.0.0.1', 'update:', '  parallelism: 1', '  order: start-first'] },
  { name: 'aws', provider: 'aws', settings: ['region: eu-west-1', 'accountAlias: mnops-bench'] },
  { name: 'azure', provider: 'azure', settings: ['location: westeurope', 'resourceGroup: mnops'] },
  { name: 'gcp', provider: 'gcp', settings: ['project: mnops-bench', 'region: europe-west1'] },
  { name: 'on-prem', provider: 'on-prem', settings: ['datacenter: fra1', 'storageBackend: nfs'] },
] as const;
const PROD_ADAPTERS = ['swarm', 'aws', 'azure', 'gcp', 'on-prem'] as const;

const WORDS = [
  'ledger', 'billing', 'catalog', 'search', 'identity', 'payments', 'orders', 'invoice', 'routing', 'pricing',
  'fraud', 'inventory', 'shipping', 'loyalty', 'reports', 'ingest', 'archive', 'notify', 'session', 'profile',
  'metrics', 'tracing', 'quota', 'scheduler', 'gateway', 'checkout', 'refunds', 'media', 'thumbnail', 'geo',
  'consent', 'audit', 'feature', 'pipeline', 'stream', 'export', 'import', 'tenant', 'mailer', 'sms',
];
const VERBS = ['sync', 'api', 'worker', 'indexer', 'router', 'store', 'relay', 'planner', 'scorer', 'builder', 'watcher', 'broker'];
const DOMAINS = [
  'commerce', 'finance', 'identity', 'data', 'ops', 'observability', 'governance', 'media', 'growth', 'logistics',
  'support', 'security', 'ml', 'messaging', 'platform', 'risk', 'search', 'partner', 'mobile', 'web',
];
const LINES = ['orion', 'lyra', 'vega', 'draco', 'hydra', 'aquila', 'cygnus', 'pavo', 'ara', 'lupus', 'norma', 'volans'];

/** mulberry32: small, fast, good enough for test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Dice {
  constructor(private readonly next: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** `k` distinct items, in their original order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const idx = items.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx.slice(0, Math.min(k, items.length)).sort((a, b) => a - b).map((i) => items[i]!);
  }
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
const pascal = (s: string) => s.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
const schemaLine = (file: string, kind: string) => {
  const up = '../'.repeat(file.split('/').length - 1);
  return `# yaml-language-server: $schema=${up}schemas/${kind}.json`;
};

interface NamespacePlan {
  name: string;
  domain: string;
  owners: string[];
}

interface TemplatePlan {
  name: string;
  flavour: 'http' | 'worker';
  depth: 1 | 2 | 3;
  parent?: string;
  cloud?: string;
}

interface ContractPlan {
  name: string;
  versions: string[];
  cloud: boolean;
}

interface PlatformPlan {
  index: number;
  name: string;
  ns: NamespacePlan;
  owner: string;
  flavour: 'http' | 'worker';
  template: string;
  version: string;
  dependsOn: string[];
  consumes: string[];
  provides: string[];
  block: number;
  experimental: boolean;
  word: string;
  verb: string;
}

interface EnvironmentPlan {
  name: string;
  tier: 'dev' | 'staging' | 'prod';
  line: string;
  adapter: string;
  from?: string;
  platforms: PlatformPlan[];
}

/**
 * Writes a valid synthetic ecosystem of about `manifests` files into `dir` (created if
 * missing; existing manifest folders are not cleared) and, unless `git: false`, commits it.
 */
export function generateEcosystem(dir: string, manifests: number, options: GenerateOptions = {}): SyntheticSummary {
  const dice = new Dice(prng(options.seed ?? 0x5eed));
  const n = Math.max(60, Math.floor(manifests));

  // Counts per kind; platforms take the rest.
  const nsCount = clamp(Math.round(n * 0.005), 3, 80);
  const coreCount = clamp(Math.round(n / 500), 6, 20);
  const envCount = clamp(Math.round(n / 100), 2, 500);
  const templateCount = clamp(Math.round(n / 300) + 9, 9, 45);

  const files = new Map<string, string>();
  const put = (file: string, body: string[]) => {
    files.set(file, `${[schemaLine(file, kindOf(body)), ...body].join('\n')}\n`);
  };

  // Namespaces and their teams.
  const namespaces: NamespacePlan[] = [];
  for (let i = 0; i < nsCount; i++) {
    const domain = DOMAINS[i % DOMAINS.length]!;
    const name = i < DOMAINS.length ? domain : `${domain}-${Math.floor(i / DOMAINS.length) + 1}`;
    const teams = Array.from({ length: dice.int(2, 4) }, (_, t) => `${name}-team-${t + 1}`);
    namespaces.push({ name, domain, owners: [...teams, 'platform-engineering'] });
  }

  // Templates: roots (hardened sandbox) → flavour → cloud flavour.
  const templates: TemplatePlan[] = [];
  const rootCount = Math.max(2, Math.round(templateCount / 6));
  for (let i = 0; i < rootCount; i++) templates.push({ name: `base-service-${i + 1}`, flavour: 'http', depth: 1 });
  const midCount = Math.max(4, Math.round(templateCount / 2.5));
  for (let i = 0; i < midCount; i++) {
    const flavour = i % 2 === 0 ? 'http' : 'worker';
    templates.push({ name: `${flavour === 'http' ? 'http-service' : 'batch-worker'}-${i + 1}`, flavour, depth: 2, parent: templates[i % rootCount]!.name });
  }
  const mids = templates.filter((t) => t.depth === 2);
  for (let i = 0; templates.length < templateCount; i++) {
    const parent = mids[i % mids.length]!;
    const cloud = PROD_ADAPTERS[i % PROD_ADAPTERS.length]!;
    templates.push({ name: `${cloud}-${parent.name}`, flavour: parent.flavour, depth: 3, parent: parent.name, cloud });
  }

  // Contracts: cloud ones (implemented by every adapter) and one service contract per core.
  const contracts: ContractPlan[] = CLOUD_CONTRACTS.map((name) => ({ name, versions: ['1.0.0', '1.1.0'], cloud: true }));
  const coreWords = dice.sample(WORDS, coreCount);
  for (const w of coreWords) {
    const minors = dice.int(2, 4);
    contracts.push({ name: `${w}-api`, versions: Array.from({ length: minors }, (_, m) => `1.${m}.0`), cloud: false });
  }
  const contractFiles = contracts.reduce((s, c) => s + c.versions.length, 0);

  const fixed = nsCount + templateCount + ADAPTERS.length + contractFiles + envCount * 2;
  const platformCount = Math.max(coreCount + BLOCK * 3, n - fixed);

  // Platforms.
  const platforms: PlatformPlan[] = [];
  const latest = (c: ContractPlan) => c.versions[c.versions.length - 1]!;
  for (let i = 0; i < platformCount; i++) {
    const core = i < coreCount;
    const word = core ? coreWords[i]! : dice.pick(WORDS);
    const verb = dice.pick(VERBS);
    const name = core ? `core-${word}-platform` : `${word}-${verb}-${String(i).padStart(5, '0')}-platform`;
    const flavour: 'http' | 'worker' = core || dice.chance(0.65) ? 'http' : 'worker';
    const ns = core ? namespaces[i % namespaces.length]! : dice.pick(namespaces);
    const owner = dice.pick(ns.owners.slice(0, -1));
    const fitting = templates.filter((t) => t.flavour === flavour || t.depth === 1);
    const template = dice.pick(fitting).name;
    const version = `${dice.int(0, 3)}.${dice.int(0, 12)}.${dice.int(0, 9)}`;
    const cloudUse = dice.sample(CLOUD_CONTRACTS, dice.int(1, 2)).map((c) => `${c}@^1.0.0`);
    let dependsOn: string[] = [];
    let provides: string[] = [];
    if (core) {
      provides = [`${contracts[CLOUD_CONTRACTS.length + i]!.name}@${latest(contracts[CLOUD_CONTRACTS.length + i]!)}`];
      if (i > 0) dependsOn = [platforms[Math.floor((i - 1) / 2)]!.name];
    } else {
      const cores = dice.sample(platforms.slice(0, coreCount), dice.int(1, 2));
      dependsOn = cores.map((c) => c.name);
      const inBlock = (i - coreCount) % BLOCK;
      if (inBlock > 0 && dice.chance(0.7)) dependsOn.push(platforms[i - dice.int(1, inBlock)]!.name);
    }
    const consumes = [
      ...cloudUse,
      ...dependsOn.filter((d) => d.startsWith('core-')).map((d) => `${d.slice('core-'.length, -'-platform'.length)}-api@^1.0.0`),
    ];
    platforms.push({
      index: i, name, ns, owner, flavour, template, version, dependsOn, consumes, provides, word, verb,
      block: core ? -1 : Math.floor((i - coreCount) / BLOCK),
      experimental: false,
    });
  }
  const cores = platforms.slice(0, coreCount);
  const blocks = Math.floor((platformCount - coreCount) / BLOCK);

  // Environments: lines of dev → staging → prod sharing one set of blocks.
  const envs: EnvironmentPlan[] = [];
  const placedBlocks = new Set<number>();
  const kMin = Math.max(1, Math.ceil((20 - coreCount) / BLOCK));
  const kMax = Math.max(kMin, Math.floor((50 - coreCount) / BLOCK));
  for (let line = 0; envs.length < envCount; line++) {
    const lineName = `${LINES[line % LINES.length]!}${line >= LINES.length ? `-${Math.floor(line / LINES.length) + 1}` : ''}`;
    const chosen = dice.sample(Array.from({ length: blocks }, (_, b) => b), dice.int(kMin, kMax));
    chosen.forEach((b) => placedBlocks.add(b));
    const placed = [...cores, ...platforms.filter((p) => chosen.includes(p.block))];
    const tiers = ['dev', 'staging', 'prod'] as const;
    for (let t = 0; t < tiers.length && envs.length < envCount; t++) {
      const tier = tiers[t]!;
      envs.push({
        name: `${tier}-${lineName}`,
        tier,
        line: lineName,
        adapter: tier === 'dev' ? 'docker' : tier === 'staging' ? 'swarm' : PROD_ADAPTERS[line % PROD_ADAPTERS.length]!,
        from: t > 0 ? `${tiers[t - 1]!}-${lineName}` : undefined,
        platforms: placed,
      });
    }
  }
  // The last platform of a block no environment places is nobody's dependency: a safe
  // place for an experimental lifecycle.
  for (let b = 0; b < blocks; b++) {
    if (!placedBlocks.has(b) && b % 7 === 3) platforms[coreCount + b * BLOCK + BLOCK - 1]!.experimental = true;
  }

  for (const ns of namespaces) put(`registry/namespaces/${ns.name}.yaml`, namespaceYaml(ns));
  for (const t of templates) {
    const file = t.depth === 3 ? `ecosystem/ecosystem-cloud/platform-templates/${t.name}.yaml` : `ecosystem/platform-templates/${t.name}.yaml`;
    put(file, templateYaml(t, dice));
  }
  for (const c of contracts) {
    const base = c.cloud ? 'ecosystem/ecosystem-cloud/contracts' : 'ecosystem/contracts';
    c.versions.forEach((v, i) => put(`${base}/${c.name}/${v}.yaml`, contractYaml(c, i)));
  }
  for (const a of ADAPTERS) put(`ecosystem/ecosystem-cloud/adapters/${a.name}.yaml`, adapterYaml(a, contracts.filter((c) => c.cloud)));
  for (const p of platforms) put(`platforms/${p.name}/platform.yaml`, platformYaml(p, dice));
  for (const e of envs) {
    put(`ecosystem/platform-cloud/${e.name}/environment.yaml`, environmentYaml(e, dice));
    put(`ecosystem/platform-cloud/${e.name}/platform.yaml`, instanceYaml(e, dice));
  }

  let lines = 0;
  for (const [file, text] of files) {
    const abs = path.join(dir, file);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    lines += text.split('\n').length - 1;
  }
  if (options.git !== false) {
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', `synthetic ecosystem: ${files.size} manifests`);
  }
  return {
    files: files.size,
    platforms: platforms.length,
    templates: templates.length,
    namespaces: namespaces.length,
    contracts: contractFiles,
    adapters: ADAPTERS.length,
    environments: envs.length,
    instances: envs.length,
    avgLines: Math.round((lines / files.size) * 10) / 10,
  };
}

/**
 * Edits `n` non-core platform files (a description bump) and commits them as one new
 * commit, so `changedSince: 'HEAD~1'` covers exactly those files. `round` picks a
 * different set of files and a different edit each time. Returns the repo-relative paths.
 */
export function touchFiles(dir: string, n: number, round = 1): string[] {
  const names = readdirSync(path.join(dir, 'platforms'))
    .filter((d) => d.endsWith('-platform') && !d.startsWith('core-'))
    .sort();
  if (names.length === 0 || n <= 0) return [];
  const count = Math.min(n, names.length);
  const stride = Math.max(1, Math.floor(names.length / count));
  const touched: string[] = [];
  for (let k = 0; k < count; k++) {
    const name = names[(k * stride + round * 7) % names.length]!;
    const file = `platforms/${name}/platform.yaml`;
    const abs = path.join(dir, file);
    const text = readFileSync(abs, 'utf8');
    const next = text.replace(/^( {2}description: .*?)(?: \(rev \d+\))?$/m, `$1 (rev ${round})`);
    if (next === text) throw new Error(`touchFiles: no description line in ${file}`);
    writeFileSync(abs, next);
    touched.push(file);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', `touch ${touched.length} platforms (round ${round})`);
  return touched;
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function kindOf(body: string[]): string {
  const line = body.find((l) => l.startsWith('kind: '));
  return line ? line.slice('kind: '.length) : 'Platform';
}

function header(kind: string, name: string, labels: Record<string, string> = {}): string[] {
  const out = ['apiVersion: mnops/v1', `kind: ${kind}`, 'metadata:', `  name: ${name}`];
  const entries = Object.entries(labels);
  if (entries.length > 0) out.push('  labels:', ...entries.map(([k, v]) => `    ${k}: ${v}`));
  return out;
}

function namespaceYaml(ns: NamespacePlan): string[] {
  return [
    ...header('Namespace', ns.name, { domain: ns.domain }),
    'spec:',
    `  description: ${pascal(ns.domain)} platforms and the teams that own them.`,
    `  owners: [${ns.owners.join(', ')}]`,
  ];
}

function templateYaml(t: TemplatePlan, dice: Dice): string[] {
  const body = [...header('PlatformTemplate', t.name, { layer: t.cloud ? 'cloud' : 'common', ...(t.cloud ? { provider: t.cloud } : {}) }), 'spec:'];
  if (t.parent) body.push(`  extends: ${t.parent}`);
  if (t.depth === 1) {
    body.push(
      '  description: Hardened default for any platform workload.',
      '  engines:',
      '    - name: ProcessSandbox',
      '      description: Process isolation and resource limits from the shared kernel.',
      '  command: ["httpd", "-f", "-p", "8080", "-h", "/srv/www"]',
      '  env:',
      '    LOG_FORMAT: json',
      '    HTTP_PORT: "8080"',
      '  resources:',
      `    cpuCores: ${dice.pick(['0.25', '0.5'])}`,
      `    memoryMb: ${dice.pick([128, 256])}`,
      '    diskMb: 512',
      '    maxOpenFds: 256',
      '    maxProcesses: 32',
      '    maxThreads: 64',
      '  network:',
      '    policy: no-network',
      '  sandbox:',
      '    readOnlyRootfs: true',
      '    noNewPrivileges: true',
      '    capDrop: [ALL]',
      '    user: "1000:1000"',
      '  healthCheck:',
      '    command: ["wget", "-q", "-O-", "http://127.0.0.1:8080/health"]',
      '    intervalSeconds: 10',
      '    timeoutSeconds: 3',
      '    retries: 3',
      '    startPeriodSeconds: 5',
      '  replicas: 1',
    );
  } else if (t.depth === 2 && t.flavour === 'http') {
    body.push(
      '  description: HTTP API service; ingress on 8080 only.',
      '  command: ["httpd", "-f", "-p", "8080", "-h", "/srv/www"]',
      '  ports:',
      '    - name: http',
      '      containerPort: 8080',
      '  network:',
      '    policy: http-only',
      '    rules:',
      '      - direction: ingress',
      '        port: 8080',
      '        protocol: tcp',
      '        cidr: 10.0.0.0/8',
      '        action: allow',
      '  resources:',
      `    memoryMb: ${dice.pick([384, 512])}`,
    );
  } else if (t.depth === 2) {
    body.push(
      '  description: Isolated batch/compute worker (no network).',
      '  command: ["httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/srv/www"]',
      '  network:',
      '    policy: no-network',
      '  resources:',
      '    cpuCores: 1',
      `    memoryMb: ${dice.pick([512, 768])}`,
      '    maxThreads: 128',
      '  config:',
      '    batch:',
      `      maxConcurrentJobs: ${dice.int(1, 4)}`,
      `      jobTimeoutSeconds: ${dice.pick([300, 600, 900])}`,
    );
  } else {
    body.push(
      `  description: ${t.flavour === 'http' ? 'HTTP service' : 'Batch worker'} tuned for ${t.cloud}-backed environments.`,
      '  env:',
      `    CLOUD_PROVIDER: ${t.cloud}`,
      `    CLOUD_REGION: ${dice.pick(['eu-west-1', 'eu-central-1', 'us-east-1'])}`,
      '  resources:',
      `    memoryMb: ${dice.pick([512, 768])}`,
      '  config:',
      '    logging:',
      `      sink: ${t.cloud}-logs`,
      `      retentionDays: ${dice.pick([14, 30, 90])}`,
    );
  }
  return body;
}

/** Version i of a contract: every earlier operation unchanged, one more added (minor = additive). */
function contractYaml(c: ContractPlan, i: number): string[] {
  const version = c.versions[i]!;
  const ops = ['get', 'put', 'list', 'watch', 'delete', 'stats'].slice(0, 2 + i);
  const body = [
    ...header('Contract', c.name),
    'spec:',
    `  version: ${version}`,
    `  description: ${pascal(c.name)} protocol${i > 0 ? `; ${version} adds the optional \`${ops[ops.length - 1]}\` operation` : ''}.`,
    '  operations:',
  ];
  for (const op of ops) {
    body.push(
      `    - name: ${op}`,
      '      input:',
      '        type: object',
      '        required: [key]',
      '        properties:',
      '          key: {type: string}',
      `          ${op === 'list' || op === 'watch' ? 'prefix' : 'revision'}: {type: ${op === 'list' || op === 'watch' ? 'string' : 'integer'}}`,
      '      output: {type: object, properties: {ok: {type: boolean}}}',
    );
  }
  body.push(
    '  events:',
    `    - name: ${c.name.replace(/-/g, '')}.changed`,
    '      payload: {type: object, required: [key], properties: {key: {type: string}}}',
  );
  return body;
}

function adapterYaml(a: (typeof ADAPTERS)[number], cloud: ContractPlan[]): string[] {
  return [
    ...header('Adapter', a.name),
    'spec:',
    `  provider: ${a.provider}`,
    `  description: ${pascal(a.provider)} adapter for synthetic benchmark environments.`,
    '  implements:',
    ...cloud.map((c) => `    - ${c.name}@${c.versions[c.versions.length - 1]!}`),
    '  settings:',
    ...a.settings.map((s) => `    ${s}`),
  ];
}

function platformYaml(p: PlatformPlan, dice: Dice): string[] {
  const http = p.flavour === 'http';
  const port = http ? dice.pick([8080, 8081, 9000]) : 8080;
  const engine = `${pascal(p.word)}${pascal(p.verb)}Engine`;
  const body = [
    ...header('Platform', p.name, { domain: p.ns.domain }),
    'spec:',
    `  description: ${pascal(p.word)} ${p.verb} for the ${p.ns.domain} domain (${p.block < 0 ? 'shared core service' : `block ${p.block}`}).`,
    `  owner: ${p.owner}`,
    `  namespace: ${p.ns.name}`,
    `  lifecycle: ${p.experimental ? 'experimental' : 'active'}`,
    `  version: ${p.version}`,
    `  extends: ${p.template}`,
    '  engines:',
    `    - name: ${engine}`,
    `      description: Runs ${p.word} ${p.verb} work for ${p.ns.name}.`,
  ];
  if (dice.chance(0.2)) body.push(`    - name: ${pascal(p.word)}CacheEngine`, '      description: Keeps hot entries in memory.');
  body.push(
    `  image: "mnops/${p.word}-${p.verb}:\${version}"`,
    http
      ? `  command: ["httpd", "-f", "-p", "${port}", "-h", "/srv/www"]`
      : '  command: ["httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/srv/www"]',
  );
  if (http) body.push('  ports:', `    - {name: http, containerPort: ${port}}`);
  body.push(
    '  env:',
    `    ${p.word.toUpperCase()}_${p.verb.toUpperCase()}_WORKERS: "${dice.int(1, 16)}"`,
    `    CACHE_TTL_SECONDS: "${dice.pick([30, 60, 300, 900])}"`,
  );
  const cpu = dice.pick(['0.25', '0.5', '1', '1.5', '2']);
  const mem = dice.pick([256, 384, 512, 768, 1024]);
  if (dice.chance(0.75)) {
    body.push(`  resources: {cpuCores: ${cpu}, memoryMb: ${mem}, diskMb: ${dice.pick([512, 1024, 2048])}, maxOpenFds: ${dice.pick([256, 512, 1024])}, maxProcesses: ${dice.pick([32, 64])}, maxThreads: ${dice.pick([64, 128, 256])}}`);
  } else {
    body.push(
      '  resources:',
      `    cpuCores: ${cpu}`,
      `    memoryMb: ${mem}`,
      `    diskMb: ${dice.pick([512, 1024, 2048])}`,
      `    maxOpenFds: ${dice.pick([256, 512, 1024])}`,
      `    maxProcesses: ${dice.pick([32, 64])}`,
      `    maxThreads: ${dice.pick([64, 128, 256])}`,
    );
  }
  if (http) {
    body.push('  network:', '    policy: http-only', '    rules:', `      - {direction: ingress, port: ${port}, protocol: tcp, cidr: 10.0.0.0/8, action: allow}`);
  } else if (dice.chance(0.5)) {
    body.push('  network:', '    policy: egress-only', '    rules:', '      - {direction: egress, port: 443, protocol: tcp, cidr: 0.0.0.0/0, action: allow}');
  } else {
    body.push('  network:', '    policy: no-network');
  }
  body.push(
    '  sandbox: {readOnlyRootfs: true, noNewPrivileges: true, capDrop: [ALL], user: "1000:1000"}',
    '  healthCheck:',
    `    command: ["wget", "-q", "-O-", "http://127.0.0.1:${port}/health"]`,
    `    intervalSeconds: ${dice.pick([5, 10, 15, 30])}`,
    `  replicas: ${dice.int(1, 3)}`,
  );
  if (p.provides.length > 0) body.push(`  provides: [${p.provides.join(', ')}]`);
  body.push(`  consumes: [${p.consumes.join(', ')}]`);
  if (p.dependsOn.length > 0) body.push(`  dependsOn: [${p.dependsOn.join(', ')}]`);
  return body;
}

function environmentYaml(e: EnvironmentPlan, dice: Dice): string[] {
  const body = [
    ...header('Environment', e.name, { line: e.line }),
    'spec:',
    `  tier: ${e.tier}`,
    `  description: ${pascal(e.tier)} of the ${e.line} line on ${e.adapter}.`,
    `  adapter: ${e.adapter}`,
  ];
  if (e.from) {
    body.push(
      '  promotion:',
      `    from: ${e.from}`,
      '    requires:',
      `      approvals: ${e.tier === 'prod' ? 2 : 1}`,
      `      soakMinutes: ${e.tier === 'prod' ? 1440 : 60}`,
    );
  }
  if (e.tier === 'prod') {
    body.push(
      '  freezeWindows:',
      `    - name: year-end-${e.line}`,
      '      start: 2030-12-17T00:00:00Z',
      '      end: 2031-01-04T00:00:00Z',
      '      reason: Year-end change freeze; emergency fixes only.',
    );
  }
  body.push(
    '  config:',
    '    env:',
    `      LOG_LEVEL: ${e.tier === 'dev' ? 'debug' : e.tier === 'staging' ? 'info' : 'warn'}`,
    `      MNOPS_ENV: ${e.name}`,
    `    replicas: ${e.tier === 'dev' ? 1 : 2}`,
  );
  if (e.tier === 'prod') {
    body.push('    sandbox:', '      readOnlyRootfs: true', '      noNewPrivileges: true', '      capDrop: [ALL]', '      user: "1000:1000"');
  }
  body.push('    config:', '      featureFlags:', `        verboseTracing: ${e.tier === 'dev'}`, `        sampleRate: ${dice.pick(['0.1', '0.25', '1'])}`);
  if (e.tier !== 'dev') {
    const key = `MNOPS_${e.tier.toUpperCase()}_TELEMETRY_AUTH`;
    body.push('  secrets:', '    - name: TELEMETRY_EXPORT_AUTH', '      from: env', `      key: ${key}`, '  secretSources:', `    env: [${key}]`);
  }
  return body;
}

function instanceYaml(e: EnvironmentPlan, dice: Dice): string[] {
  const body = [...header('PlatformInstance', e.name), 'spec:', `  environment: ${e.name}`, '  platforms:'];
  for (const p of e.platforms) {
    body.push(`    - name: ${p.name}`, `      version: ${p.version}`);
    const r = dice.int(0, 9);
    if (r === 0) body.push(`      replicas: ${e.tier === 'dev' ? 1 : dice.int(2, 4)}`);
    else if (r === 1) body.push('      resources:', `        memoryMb: ${dice.pick([512, 1024, 1536, 2048])}`);
    else if (r === 2) body.push('      env:', `        ${p.word.toUpperCase()}_BATCH_SIZE: "${dice.pick([50, 100, 500])}"`);
    else if (r === 3) body.push('      config:', '        tuning:', `          poolSize: ${dice.int(2, 32)}`);
  }
  return body;
}
