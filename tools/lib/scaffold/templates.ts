// The files `mnops init` writes: a small ecosystem that validates clean (one platform in dev,
// staging and prod, their settings and namespace) and the three workflows, using the
// published actions the way a repository of its own does. One function per file, so a
// reader sees each file as it lands on disk.
import { TOOL_VERSION } from '../version.js';

export interface ScaffoldNames {
  /** The catalog's one platform (it must match the naming rule: `<x>-platform`). */
  platform: string;
  /** Its namespace and owning team. */
  namespace: string;
  owner: string;
  /** The project id every engine object of this repository is named and labelled with. */
  project: string;
}

/** The `$schema` line of a manifest at `file`: the schemas the installed package publishes. */
export function schemaLine(file: string, kind: string): string {
  const up = '../'.repeat(file.split('/').length - 1);
  return `# yaml-language-server: $schema=${up}node_modules/machine-native-ops/schemas/${kind}.json`;
}

/** The published actions, tagged by major version on every release. */
const ACTIONS = 'machine-native-ops/machine-native-ops/actions';
const CHECKOUT = 'actions/checkout@08eba0b27e820071cde6df949e0beb9ba4906955 # v4.3.0';
const UPLOAD_SARIF = 'github/codeql-action/upload-sarif@5d4e8d1aca955e8d8589aabd499c5cae939e33c7 # v4.31.9';

/** The release's major tag (v0, v1, …): the actions a repository uses move with it. */
function majorTag(): string {
  return `v${TOOL_VERSION.split('.')[0] ?? '0'}`;
}

const SETTINGS = 'ecosystem/governance/settings.yaml';
const TEMPLATE = 'ecosystem/platform-templates/base-service.yaml';
const DOCKER = 'ecosystem/ecosystem-cloud/adapters/docker.yaml';
const SWARM = 'ecosystem/ecosystem-cloud/adapters/swarm.yaml';
const NAMESPACES = 'registry/namespaces.yaml';

function settings(n: ScaffoldNames): string {
  return `${schemaLine(SETTINGS, 'PolicySettings')}
# The rules' tunables: ceilings per tier, severity overrides, naming. Change them in a pull
# request; the governance check judges a pull request by the settings of its base branch.
apiVersion: mnops/v1
kind: PolicySettings
metadata:
  name: governance
spec:
  description: Tier ceilings and rule severities of this ecosystem.
  # In the name and the mnops.project label of everything mnops creates on an engine, so
  # other repositories can share the engine; MNOPS_PROJECT overrides it for one clone.
  project: ${n.project}
  tiers:
    dev:
      ceilings: {cpuCores: 4, memoryMb: 4096, diskMb: 20480, maxOpenFds: 65536, maxProcesses: 4096, maxThreads: 8192}
    staging:
      ceilings: {cpuCores: 8, memoryMb: 8192, diskMb: 51200, maxOpenFds: 65536, maxProcesses: 4096, maxThreads: 8192}
    prod:
      ceilings: {cpuCores: 16, memoryMb: 16384, diskMb: 102400, maxOpenFds: 65536, maxProcesses: 4096, maxThreads: 8192}
  naming:
    platform: '^[a-z][a-z0-9-]{1,40}-platform$'
    environment: '^[a-z][a-z0-9-]{1,30}$'
  exceptions:
    maxDays: 90
    # GitHub logins whose approval of a pull request lets the exceptions it adds count.
    approvers: []
`;
}

function template(): string {
  return `${schemaLine(TEMPLATE, 'PlatformTemplate')}
# What every platform starts from: a hardened sandbox, limits and a health check.
apiVersion: mnops/v1
kind: PlatformTemplate
metadata:
  name: base-service
spec:
  description: Hardened default for any platform workload.
  resources:
    cpuCores: 0.5
    memoryMb: 256
    diskMb: 512
    maxOpenFds: 256
    # Threads count against the process limit on Docker: equal limits are both enforced.
    maxProcesses: 64
    maxThreads: 64
  network:
    policy: no-network
  sandbox:
    readOnlyRootfs: true
    noNewPrivileges: true
    capDrop: [ALL]
    user: "1000:1000"
  healthCheck:
    command: ["wget", "-q", "-O-", "http://127.0.0.1:8080/health"]
    intervalSeconds: 10
    timeoutSeconds: 3
    retries: 3
    startPeriodSeconds: 5
  replicas: 1
`;
}

function adapter(file: string, name: 'docker' | 'swarm', description: string): string {
  return `${schemaLine(file, 'Adapter')}
apiVersion: mnops/v1
kind: Adapter
metadata:
  name: ${name}
spec:
  provider: ${name}
  description: ${description}
  implements: []
`;
}

function namespaces(n: ScaffoldNames): string {
  return `${schemaLine(NAMESPACES, 'Namespace')}
# One Namespace per document. Every platform's owner must be listed by its namespace.
apiVersion: mnops/v1
kind: Namespace
metadata:
  name: ${n.namespace}
spec:
  description: The platforms of this ecosystem.
  owners: [${n.owner}]
`;
}

/** A catalog platform: extends base-service, runs a busybox web server until you set your image. */
export function platformManifest(file: string, name: string, namespace: string, owner: string, extendsTemplate: string | undefined): string {
  return `${schemaLine(file, 'Platform')}
apiVersion: mnops/v1
kind: Platform
metadata:
  name: ${name}
spec:
  description: ${name} (describe what it does).
  owner: ${owner}
  namespace: ${namespace}
  lifecycle: experimental
  version: 0.1.0
${extendsTemplate ? `  extends: ${extendsTemplate}\n` : ''}  # Your image; \${version} becomes the version an environment runs (pin it: staging and
  # prod refuse "latest"). Until then, a web server that answers the health check.
  image: "busybox:1.37.0"
  command: ["sh", "-c", "mkdir -p /tmp/www && echo ok > /tmp/www/health && exec httpd -f -p 8080 -h /tmp/www"]
`;
}

interface EnvironmentShape {
  name: string;
  tier: 'dev' | 'staging' | 'prod';
  adapter: 'docker' | 'swarm';
  description: string;
  promotion?: { from: string; approvals: number; soakMinutes: number };
  replicas: number;
  logLevel: string;
}

const ENVIRONMENTS: EnvironmentShape[] = [
  { name: 'dev', tier: 'dev', adapter: 'docker', description: 'Development on the local Docker Engine; every platform runs here first.', replicas: 1, logLevel: 'debug' },
  {
    name: 'staging',
    tier: 'staging',
    adapter: 'swarm',
    description: 'Pre-production on Docker Swarm.',
    promotion: { from: 'dev', approvals: 1, soakMinutes: 30 },
    replicas: 2,
    logLevel: 'info',
  },
  {
    name: 'prod',
    tier: 'prod',
    adapter: 'swarm',
    description: 'Production on Docker Swarm.',
    promotion: { from: 'staging', approvals: 1, soakMinutes: 1440 },
    replicas: 2,
    logLevel: 'warn',
  },
];

function environment(e: EnvironmentShape): string {
  const file = `ecosystem/platform-cloud/${e.name}/environment.yaml`;
  const promotion = e.promotion
    ? `  # Versions arrive here only through the promotion gate (mnops deploy, or the promotion workflow).
  promotion:
    from: ${e.promotion.from}
    requires:
      approvals: ${e.promotion.approvals}
      soakMinutes: ${e.promotion.soakMinutes}
`
    : '';
  return `${schemaLine(file, 'Environment')}
apiVersion: mnops/v1
kind: Environment
metadata:
  name: ${e.name}
spec:
  tier: ${e.tier}
  description: ${e.description}
  adapter: ${e.adapter}
${promotion}  config:
    env:
      LOG_LEVEL: ${e.logLevel}
      MNOPS_ENV: ${e.name}
    replicas: ${e.replicas}
`;
}

function instance(e: EnvironmentShape, platform: string): string {
  const file = `ecosystem/platform-cloud/${e.name}/platform.yaml`;
  return `${schemaLine(file, 'PlatformInstance')}
# Which platforms run in this environment, at which version.
apiVersion: mnops/v1
kind: PlatformInstance
metadata:
  name: ${e.name}
spec:
  environment: ${e.name}
  platforms:
    - name: ${platform}
      version: 0.1.0
`;
}

function governanceWorkflow(): string {
  return `# Pull-request checks: validate what the change affects, judged by the base branch's rules;
# one sticky PR comment, annotations on the changed lines, SARIF for code scanning.
name: governance
on:
  pull_request:
    paths: ['ecosystem/**', 'platforms/**', 'registry/**', 'policies/**', 'schemas/**']
permissions: {}
concurrency:
  group: governance-\${{ github.event.pull_request.number }}
  cancel-in-progress: true
jobs:
  validate:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    permissions:
      contents: read
      pull-requests: write
      security-events: write
    steps:
      - uses: ${CHECKOUT}
        with:
          fetch-depth: 0
          persist-credentials: false
      - uses: ${ACTIONS}/validate@${majorTag()}
        with:
          sarif-file: mnops.sarif
          # a PR from a fork gets a read-only token: comment only on this repository's PRs
          comment: \${{ github.event.pull_request.head.repo.full_name == github.repository }}
      - if: always() && hashFiles('mnops.sarif') != ''
        uses: ${UPLOAD_SARIF}
        with:
          sarif_file: mnops.sarif
          category: mnops
`;
}

function promotionWorkflow(): string {
  return `# Promote a platform into an environment through the promotion gate. Each target is a GitHub
# environment: its required reviewers approve the deploy, and the gate counts exactly those.
name: promotion
on:
  workflow_dispatch:
    inputs:
      platform: { type: string, required: true }
      environment: { type: choice, options: [dev, staging, prod], required: true }
      version: { type: string, description: 'empty = the version running in the source environment' }
      emergency: { type: string, description: 'reason to deploy through a freeze window' }
permissions: {}
jobs:
  deploy:
    # A runner that reaches the target's Docker engine (DOCKER_HOST or /var/run/docker.sock).
    runs-on: self-hosted
    timeout-minutes: 30
    environment: \${{ inputs.environment }}
    permissions:
      actions: read
      contents: write
      deployments: write
    concurrency:
      group: promote-\${{ inputs.environment }}
      cancel-in-progress: false
    steps:
      - uses: ${CHECKOUT}
        with:
          fetch-depth: 0
          persist-credentials: false   # the action pushes with its token input
      - uses: ${ACTIONS}/deploy@${majorTag()}
        with:
          platform: \${{ inputs.platform }}
          environment: \${{ inputs.environment }}
          version: \${{ inputs.version }}
          emergency: \${{ inputs.emergency }}
        env:
          MNOPS_AUDIT_KEY: \${{ secrets.MNOPS_AUDIT_KEY }}   # signs the audit records (mnops audit keygen)
          # and one line per \`from: env\` secret your manifests reference
`;
}

function driftWorkflow(): string {
  return `# Compare what git declares with what the engines run, every 30 minutes: one issue per
# drifted environment. Dispatch it with heal to reconcile one environment.
name: drift
on:
  schedule:
    - cron: '*/30 * * * *'
  workflow_dispatch:
    inputs:
      environments: { type: string, description: 'empty = every environment on docker or swarm; to heal, one' }
      heal: { type: boolean, default: false }
permissions: {}
concurrency:
  group: drift-\${{ inputs.heal && 'heal' || 'check' }}
  cancel-in-progress: false
jobs:
  drift:   # looks only; no environment, so the schedule never waits for a reviewer
    if: \${{ !inputs.heal }}
    runs-on: self-hosted
    timeout-minutes: 20
    permissions:
      contents: write
      issues: write
    steps:
      - uses: ${CHECKOUT}
        with:
          fetch-depth: 0
          persist-credentials: false
      - uses: ${ACTIONS}/drift@${majorTag()}
        with:
          environments: \${{ inputs.environments }}
        env:
          MNOPS_AUDIT_KEY: \${{ secrets.MNOPS_AUDIT_KEY }}   # signs the drift records
  heal:    # in the GitHub environment named like the one it heals: its reviewers approve
    if: \${{ inputs.heal }}
    runs-on: self-hosted
    timeout-minutes: 30
    environment: \${{ inputs.environments }}
    permissions:
      actions: read
      contents: write
      issues: write
    steps:
      - uses: ${CHECKOUT}
        with:
          fetch-depth: 0
          persist-credentials: false
      - uses: ${ACTIONS}/drift@${majorTag()}
        with:
          environments: \${{ inputs.environments }}
          heal: 'true'
        env:
          MNOPS_AUDIT_KEY: \${{ secrets.MNOPS_AUDIT_KEY }}
`;
}

/** zizmor (a workflow linter) flags actions not pinned by SHA: ours move with their major tag on purpose. */
const ZIZMOR_CONFIG = `# The mnops actions are used by their major tag (they move with each release); every other
# action is pinned by commit SHA.
rules:
  unpinned-uses:
    config:
      policies:
        "machine-native-ops/*": ref-pin
`;

function readme(n: ScaffoldNames): string {
  return `# Platform ecosystem

Manifests governed by [machine-native-ops](https://www.npmjs.com/package/machine-native-ops)
(\`mnops\`): the declared world is in git, every pull request is validated, versions reach
staging and prod only through the promotion gate.

| Folder | Holds |
|---|---|
| \`platforms/<name>/platform.yaml\` | the platform catalog (here: \`${n.platform}\`) |
| \`registry/namespaces.yaml\` | namespaces and the teams that own their platforms |
| \`ecosystem/platform-cloud/<env>/\` | one folder per environment: \`environment.yaml\` and \`platform.yaml\` (what runs there) |
| \`ecosystem/platform-templates/\` | templates platforms extend |
| \`ecosystem/ecosystem-cloud/adapters/\` | the engines environments run on |
| \`ecosystem/governance/\` | rule settings per tier, and policy exceptions |
| \`.github/workflows/\` | the pull-request check, promotion and drift detection |

\`\`\`sh
npm install                                  # installs mnops (package.json)
npx mnops validate                           # check everything
npx mnops new platform billing-platform      # add a platform to the catalog
npx mnops new environment customer-x --from prod --tier prod
npx mnops plan --env dev                     # what apply would change
\`\`\`

The promotion and drift workflows need a runner that reaches your Docker engines and the
repository secret \`MNOPS_AUDIT_KEY\` (\`npx mnops audit keygen\` prints one).
`;
}

function packageJson(): string {
  const pkg = {
    name: 'platform-ecosystem',
    private: true,
    description: 'Platform manifests governed by machine-native-ops',
    scripts: { validate: 'mnops validate' },
    devDependencies: { 'machine-native-ops': `^${TOOL_VERSION}` },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** Every file `mnops init` writes: repo-relative path → contents. */
export function scaffoldFiles(n: ScaffoldNames): Map<string, string> {
  const files = new Map<string, string>();
  const platformFile = `platforms/${n.platform}/platform.yaml`;
  files.set('README.md', readme(n));
  files.set('package.json', packageJson());
  files.set('.gitignore', 'node_modules/\nmnops.sarif\n');
  files.set(SETTINGS, settings(n));
  files.set(TEMPLATE, template());
  files.set(DOCKER, adapter(DOCKER, 'docker', 'The local Docker Engine (dev).'));
  files.set(SWARM, adapter(SWARM, 'swarm', 'Docker Swarm services with rolling updates (staging, prod).'));
  files.set(NAMESPACES, namespaces(n));
  files.set(platformFile, platformManifest(platformFile, n.platform, n.namespace, n.owner, 'base-service'));
  for (const e of ENVIRONMENTS) {
    files.set(`ecosystem/platform-cloud/${e.name}/environment.yaml`, environment(e));
    files.set(`ecosystem/platform-cloud/${e.name}/platform.yaml`, instance(e, n.platform));
  }
  files.set('.github/workflows/governance.yml', governanceWorkflow());
  files.set('.github/workflows/promotion.yml', promotionWorkflow());
  files.set('.github/workflows/drift.yml', driftWorkflow());
  files.set('.github/zizmor.yml', ZIZMOR_CONFIG);
  return files;
}
