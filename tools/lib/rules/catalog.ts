// What every rule checks, in words: the one list `mnops rules` and `mnops explain` print.
// Default severities of the policy rules are not written here: they are read from the Rego
// the policies use (policies/lib/findings.rego, see severities.ts). test/rules/catalog.test.ts
// checks that every rule the policies or the loader can emit is described here and back.
import type { Tier } from '../manifest/kinds.js';

/** Who reports the rule: the Rego policies (waivable, tier severities apply) or the TypeScript loader and checks. */
export type RuleSource = 'policy' | 'loader';

export interface RuleDoc {
  id: string;
  source: RuleSource;
  /** One line: what the rule checks. */
  summary: string;
  /** The tiers whose environments the rule judges; undefined: it judges manifests, whatever the tier. */
  tiers?: readonly Tier[];
  /** A few sentences for `mnops explain`. */
  details: string;
  /** A finding as `mnops validate` prints it. */
  example: { file: string; line: string; message: string; hint: string };
  /** The exact edit or command that clears it. */
  fix: string;
  /** Default severity of a loader rule (policy rules read theirs from the Rego). */
  severity?: 'error' | 'warning';
}

export const ALL_TIERS: readonly Tier[] = ['dev', 'staging', 'prod', 'sandbox', 'preview'];
const GATED: readonly Tier[] = ['staging', 'prod'];

const policy = (id: string, doc: Omit<RuleDoc, 'id' | 'source'>): RuleDoc => ({ id, source: 'policy', ...doc });
const loader = (id: string, doc: Omit<RuleDoc, 'id' | 'source'>): RuleDoc => ({ id, source: 'loader', severity: 'error', ...doc });

export const RULES: readonly RuleDoc[] = [
  // ---- policies (policies/rules/*.rego)
  policy('naming.platform', {
    summary: 'platform names match settings naming.platform (default ^[a-z][a-z0-9-]{1,40}-platform$)',
    details: 'A platform name is used for containers, services, networks and audit records, so it follows one convention. The pattern is spec.naming.platform of ecosystem/governance/settings.yaml.',
    example: { file: 'platforms/billing/platform.yaml', line: '5:9', message: 'platform name billing does not match ^[a-z][a-z0-9-]{1,40}-platform$', hint: 'rename metadata.name (and its folder under platforms/) to lower-case words ending in -platform, e.g. billing-platform' },
    fix: 'rename metadata.name and the folder platforms/<name>/ to match the pattern (e.g. billing-platform), and the references to it',
  }),
  policy('naming.environment', {
    summary: 'environment names match settings naming.environment (default ^[a-z][a-z0-9-]{1,30}$)',
    tiers: ALL_TIERS,
    details: 'An environment name becomes part of every engine object and audit record of that environment. The pattern is spec.naming.environment of ecosystem/governance/settings.yaml.',
    example: { file: 'ecosystem/platform-cloud/Dev/environment.yaml', line: '5:9', message: 'environment name Dev does not match ^[a-z][a-z0-9-]{1,30}$', hint: 'rename metadata.name (and its folder under ecosystem/platform-cloud/) to a short lower-case name, e.g. staging or customer-acme' },
    fix: 'rename metadata.name of the Environment, its folder and spec.environment of its platform.yaml',
  }),
  policy('ownership.owner', {
    summary: "a platform's spec.owner is one of its namespace's owners",
    details: 'Every platform belongs to a team, and the namespace it lives in (registry/namespaces.yaml) lists the teams that may own platforms there.',
    example: { file: 'platforms/data-platform/platform.yaml', line: '10:10', message: 'owner x-team of platform data-platform is not listed by namespace data (owners: data-team, ml-team)', hint: 'set spec.owner to one of data-team, ml-team, or add x-team to spec.owners of namespace data (registry/namespaces.yaml)' },
    fix: "set spec.owner to a listed owner, or add the team to the namespace's spec.owners in registry/namespaces.yaml",
  }),
  policy('resources.required', {
    summary: 'every deployed platform declares all six resource limits',
    tiers: ALL_TIERS,
    details: 'cpuCores, memoryMb, diskMb, maxOpenFds, maxProcesses and maxThreads bound what a platform may use on the engine. They are checked on the resolved spec: template chain, platform, environment config and instance overrides together.',
    example: { file: 'platforms/data-platform/platform.yaml', line: '25:3', message: 'data-platform declares no maxThreads limit in dev', hint: 'set spec.resources.maxThreads in platforms/data-platform/platform.yaml or in the template it extends' },
    fix: 'add the missing limit under spec.resources of the platform (or of the template it extends)',
  }),
  policy('resources.ceiling', {
    summary: "each resolved resource limit is at or under the tier's ceiling (settings tiers.<tier>.ceilings)",
    tiers: ALL_TIERS,
    details: 'The ceilings of each tier are in ecosystem/governance/settings.yaml. A limit above its ceiling is an error; a tier without a ceiling for a limit is not checked for it.',
    example: { file: 'platforms/semantic-platform/platform.yaml', line: '27:15', message: 'memoryMb 8192 of semantic-platform in dev exceeds the dev ceiling 4096', hint: 'lower resources.memoryMb to 4096 or less where it is set, or waive it with a PolicyException (mnops explain resources.ceiling)' },
    fix: 'lower the limit in spec.resources (or the environment/instance override that raised it), or waive it with a PolicyException',
  }),
  policy('network.open-in-prod', {
    summary: 'staging and prod platforms do not use network.policy allow-all',
    tiers: GATED,
    details: 'allow-all opens every port in both directions. Gated tiers declare what they need: egress-only, http-only or no-network plus network.rules.',
    example: { file: 'platforms/runtime-platform/platform.yaml', line: '24:13', message: 'runtime-platform uses network policy allow-all in prod tier environment prod', hint: 'set spec.network.policy to egress-only, http-only or no-network, with spec.network.rules for what it needs' },
    fix: 'set spec.network.policy to egress-only, http-only or no-network and list the needed ports in spec.network.rules',
  }),
  policy('network.host-port', {
    summary: 'staging and prod: every published hostPort is allowed by an ingress network rule',
    tiers: GATED,
    details: 'A port published on the host is reachable from outside the engine. In gated tiers each one needs a network.rules entry {direction: ingress, port, protocol, action: allow}; the policy name alone allows nothing.',
    example: { file: 'platforms/registry-platform/platform.yaml', line: '19:17', message: 'registry-platform publishes host port 5000 (container port 5000/tcp) in staging tier environment staging, but its network policy http-only has no rule allowing ingress on that port', hint: 'add network.rules {direction: ingress, port: 5000, protocol: tcp, cidr: <who may connect>, action: allow}, or drop hostPort' },
    fix: 'add {direction: ingress, port: <port>, protocol: tcp, action: allow} to spec.network.rules, or drop the hostPort',
  }),
  policy('secrets.plaintext', {
    summary: 'no secret values written in env, config or adapter settings',
    tiers: ALL_TIERS,
    details: 'A key that looks secret (settings secrets.keyPattern) must hold a ${NAME} reference, and no value may look like a token or key (secrets.valuePatterns). Secrets come from spec.secrets at deploy time and never sit in git.',
    example: { file: 'platforms/data-platform/platform.yaml', line: '24:5', message: 'Platform data-platform sets secret-looking key env.DB_PASSWORD in plain text', hint: 'reference it as ${DB_PASSWORD} and declare it in spec.secrets' },
    fix: 'delete the value and declare it under spec.secrets (from: env | file | swarm), then rotate the leaked secret',
  }),
  policy('images.pinned', {
    summary: 'staging and prod images are pinned: a @sha256 digest or an exact semver tag',
    tiers: GATED,
    details: 'A tag like latest, or no tag, can change under a running environment. Gated tiers run an image by digest or by an exact version tag (1.2.3, v1.2.3).',
    example: { file: 'platforms/runtime-platform/platform.yaml', line: '22:10', message: 'image mnops/base:latest of runtime-platform in prod is tagged latest, not an exact version', hint: 'pin spec.image to a digest (@sha256:…) or an exact version tag such as :${version}' },
    fix: 'set spec.image to name:<exact version> (e.g. "mnops/base:${version}") or name@sha256:<digest>',
  }),
  policy('sandbox.hardened', {
    summary: 'prod containers run read-only, without new privileges, all capabilities dropped, as a non-root user',
    tiers: ['prod'],
    details: 'In prod every platform sets sandbox.readOnlyRootfs: true, sandbox.noNewPrivileges: true, sandbox.capDrop containing ALL, and sandbox.user that is not root (0, root, empty or omitted are root).',
    example: { file: 'platforms/runtime-platform/platform.yaml', line: '30:11', message: 'runtime-platform in prod environment prod runs as root (user 0)', hint: 'set sandbox.user to a non-root user, e.g. "1000:1000"' },
    fix: 'set spec.sandbox {readOnlyRootfs: true, noNewPrivileges: true, capDrop: [ALL], user: "1000:1000"} on the platform or its template',
  }),
  policy('health.required', {
    summary: 'staging and prod platforms declare a healthCheck with a command',
    tiers: GATED,
    details: 'Promotion waits for a platform to be healthy in its source and rollouts wait for it in the target: without a health check neither can be judged.',
    example: { file: 'platforms/data-platform/platform.yaml', line: '8:3', message: 'data-platform declares no health check in staging tier environment staging', hint: 'add spec.healthCheck.command (exec form, exit 0 = healthy) to platforms/data-platform/platform.yaml, or extend a template that has one' },
    fix: 'add spec.healthCheck: {command: [...], intervalSeconds: 10} to the platform or the template it extends',
  }),
  policy('contracts.semver', {
    summary: "a contract's spec.version is valid semver and equals its file name",
    details: 'Contracts live at ecosystem/contracts/<name>/<version>.yaml; the file name and spec.version must agree so that consumers find the version they ask for.',
    example: { file: 'ecosystem/contracts/storage/1.2.0.yaml', line: '8:12', message: 'contract storage version 1.2 is not a valid semantic version', hint: 'use MAJOR.MINOR.PATCH, e.g. 1.2.0, and name the file after it' },
    fix: 'set spec.version to the file name without .yaml, or rename the file to <version>.yaml',
  }),
  policy('contracts.breaking', {
    summary: 'a contract version does not break the previous one with the same major',
    details: 'Between consecutive versions of one major, every operation and event stays, output and payload property types stay, and required inputs are not added. A breaking change needs a new major version.',
    example: { file: 'ecosystem/contracts/storage/1.3.0.yaml', line: '12:3', message: 'contract storage 1.3.0 is not compatible with 1.2.0: it removes operation delete', hint: 'bump the major version or restore operation delete' },
    fix: 'restore the operation, event or field the message names in the newer file, or publish the change as a new major: ecosystem/contracts/<name>/<major+1>.0.0.yaml',
  }),
  policy('contracts.unsatisfied', {
    summary: "each consumes name@range of a platform is provided in its environment (by a platform or the adapter)",
    tiers: ALL_TIERS,
    details: 'A platform that consumes a contract needs, in the same environment, a platform whose provides has a version in range, or an adapter that implements one.',
    example: { file: 'platforms/data-platform/platform.yaml', line: '33:7', message: 'data-platform consumes storage@^1.1.0 but nothing in dev provides storage', hint: 'run a platform that provides storage@^1.1.0 in dev, use an adapter that implements it, or change the range' },
    fix: 'add a platform that provides the contract to the environment\'s ecosystem/platform-cloud/<env>/platform.yaml, or change the range in spec.consumes',
  }),
  policy('environments.ttl', {
    summary: 'sandbox and preview environments have a ttl within settings ttl.maxHours and a createdAt; others have no ttl',
    tiers: ALL_TIERS,
    details: 'Throwaway environments must say when they were made and how long they live, so expiry can be reported and the engine reaped.',
    example: { file: 'ecosystem/platform-cloud/sandbox-x/environment.yaml', line: '9:8', message: 'ttl 30d (720 hours) of sandbox environment sandbox-x exceeds the sandbox limit of 168 hours', hint: 'shorten it to at most 168h, or add a PolicyException for environments.ttl' },
    fix: 'set spec.ttl (e.g. 48h) and spec.createdAt (RFC 3339) on sandbox/preview environments; remove spec.ttl elsewhere',
  }),
  policy('environments.expired', {
    summary: 'a sandbox or preview environment is past createdAt + ttl',
    tiers: ['sandbox', 'preview'],
    details: 'An expired environment still holds engine resources. The warning stays until it is torn down or its ttl is extended.',
    example: { file: 'ecosystem/platform-cloud/preview-pr-42/environment.yaml', line: '9:3', message: 'preview environment preview-pr-42 (created 2026-11-22T14:00:00Z, ttl 48h) expired 4 hours ago', hint: 'run mnops teardown --env preview-pr-42, then delete ecosystem/platform-cloud/preview-pr-42/; or extend spec.ttl' },
    fix: 'run mnops teardown --env <env> and delete its folder under ecosystem/platform-cloud/, or extend spec.ttl',
  }),
  policy('promotion.source', {
    summary: 'staging and prod environments name spec.promotion.from',
    tiers: GATED,
    details: 'Versions reach a gated environment only through the promotion gate, which needs to know the environment they are promoted from.',
    example: { file: 'ecosystem/platform-cloud/staging/environment.yaml', line: '8:3', message: 'staging environment staging does not name the environment it promotes from', hint: 'set spec.promotion.from (e.g. staging for prod, dev for staging)' },
    fix: 'set spec.promotion.from: <source environment> in the Environment',
  }),
  policy('exceptions.expired', {
    summary: 'a PolicyException is past its expires date (it waives nothing)',
    details: 'An exception that expired no longer waives its finding; the finding reappears beside this one.',
    example: { file: 'ecosystem/governance/exceptions/old.yaml', line: '17:12', message: 'policy exception old for resources.ceiling on Platform data-platform expired on 2026-01-31', hint: 'remove the exception once the finding is fixed, or renew spec.expires with a fresh approval' },
    fix: 'delete the exception file, or set a new spec.expires in a reviewed pull request',
  }),

  // ---- loader and reference checks (tools/lib)
  loader('yaml.syntax', {
    summary: 'the file is valid YAML',
    details: 'A file that does not parse declares nothing: every manifest in it is missing, so references to them fail too (those findings are folded under this one).',
    example: { file: 'platforms/data-platform/platform.yaml', line: '30:19', message: 'YAML syntax error: the " quote opened here is never closed, so the rest of the file is read as one string', hint: 'add the closing " at the end of the value on line 30' },
    fix: 'close the quote, fix the indentation or replace the tab at the line:column shown, then run mnops validate',
  }),
  loader('yaml.duplicate-key', {
    summary: 'no map key appears twice',
    details: 'YAML parsers disagree about which of two equal keys wins, so a repeated key is refused.',
    example: { file: 'platforms/data-platform/platform.yaml', line: '11:3', message: 'map key "owner" appears twice: first at line 10, again at line 11', hint: 'remove or rename the repeated key' },
    fix: 'delete one of the two lines named in the message',
  }),
  loader('yaml.complex-key', {
    summary: 'map keys are plain scalars',
    details: 'Manifests are JSON-shaped: a list or map used as a key has no JSON form.',
    example: { file: 'platforms/x-platform/platform.yaml', line: '4:3', message: 'a map key must be a plain scalar, not a collection', hint: 'write the key as a string' },
    fix: 'replace the list or map used as a key with a plain string key, then run mnops validate',
  }),
  loader('yaml.forbidden-key', {
    summary: 'no __proto__, constructor or prototype keys',
    details: 'Such keys change how objects behave in JavaScript tools reading the manifest.',
    example: { file: 'platforms/x-platform/platform.yaml', line: '6:5', message: 'the key "__proto__" is not allowed', hint: 'rename the key' },
    fix: 'rename the key',
  }),
  loader('yaml.unknown-tag', {
    summary: 'no YAML tags (!!binary, !custom): plain YAML 1.2 values only',
    details: 'Tags make values mean different things to different parsers.',
    example: { file: 'platforms/x-platform/platform.yaml', line: '7:9', message: 'Unresolved tag: !secret', hint: 'remove the tag: manifests use plain YAML 1.2 values only' },
    fix: 'remove the tag',
  }),
  loader('yaml.warning', {
    summary: 'the YAML parser has nothing to warn about',
    severity: 'warning',
    details: 'A parser warning usually means a value reads differently than it looks.',
    example: { file: 'platforms/x-platform/platform.yaml', line: '3:1', message: 'Unsupported YAML version 1.1', hint: 'rewrite line 3 so the parser has nothing to warn about' },
    fix: 'remove what the parser warns about (e.g. a %YAML 1.1 directive), then run mnops validate',
  }),
  loader('yaml.encoding', {
    summary: 'the file is UTF-8',
    details: 'Manifests are read as UTF-8; other encodings would turn into replacement characters.',
    example: { file: 'platforms/x-platform/platform.yaml', line: '4:12', message: 'the file is not valid UTF-8', hint: 're-save the file as UTF-8' },
    fix: 'save the file as UTF-8 (iconv -f latin1 -t utf-8)',
  }),
  loader('yaml.limit', {
    summary: 'the file stays within the size, nesting, node and alias limits',
    details: 'Hard limits keep hostile or runaway files from costing unbounded time or memory.',
    example: { file: 'platforms/x-platform/platform.yaml', line: '1:1', message: 'nesting is deeper than 64 levels', hint: 'flatten the structure' },
    fix: 'split the file or remove the deep nesting / alias chain the message names',
  }),
  loader('schema.invalid', {
    summary: 'the manifest matches the JSON Schema of its kind (schemas/<Kind>.json)',
    details: 'Every field is known, of the right type and shape. The message names the field, the value and what was expected; an unknown field suggests the closest known one.',
    example: { file: 'platforms/governance-platform/platform.yaml', line: '27:5', message: 'unknown field "memoryMB" in spec.resources', hint: 'did you mean "memoryMb"?' },
    fix: 'make the edit the hint names at the field of the message (e.g. rename spec.resources.memoryMB to memoryMb); schemas/<Kind>.json gives editors completion',
  }),
  loader('manifest.duplicate', {
    summary: 'no two manifests have the same kind and name',
    details: 'Names identify manifests in references, engine objects and the audit trail.',
    example: { file: 'ecosystem/platform-cloud/customer-globex/environment.yaml', line: '5:9', message: 'Environment/dev is defined twice (the first is at ecosystem/platform-cloud/dev/environment.yaml:5)', hint: 'keep one definition and remove or rename the other' },
    fix: 'rename metadata.name in the copy (and spec.environment of its platform.yaml)',
  }),
  loader('settings.location', {
    summary: 'PolicySettings live in ecosystem/governance/',
    details: 'Settings decide what the policies enforce, so they sit where code owners review them.',
    example: { file: 'platforms/settings.yaml', line: '2:7', message: 'PolicySettings are read only from ecosystem/governance/settings.yaml; this one in platforms/settings.yaml is ignored', hint: 'move these settings into ecosystem/governance/settings.yaml (reviewed by its owners) and delete platforms/settings.yaml' },
    fix: 'git mv the file to ecosystem/governance/settings.yaml',
  }),
  loader('exceptions.location', {
    summary: 'PolicyExceptions live in ecosystem/governance/exceptions/',
    details: 'A waiver only counts where code owners review it.',
    example: { file: 'platforms/waiver.yaml', line: '2:7', message: 'PolicyExceptions are read only from ecosystem/governance/exceptions/; this one in platforms/waiver.yaml waives nothing', hint: 'move it to ecosystem/governance/exceptions/waiver.yaml' },
    fix: 'git mv the file to ecosystem/governance/exceptions/<name>.yaml',
  }),
  loader('exceptions.unapproved', {
    summary: 'a PolicyException added or changed in a pull request is approved by one of settings exceptions.approvers',
    details: 'A waiver counts only once someone entitled to grant it approved the pull request that adds it.',
    example: { file: 'ecosystem/governance/exceptions/x.yaml', line: '1:1', message: 'exception x is added or changed by this change and waives nothing until approved: its approvedBy (alice) must name someone who approved the pull request and is an exception approver (platform-engineering)', hint: 'ask a member of platform-engineering to approve the pull request' },
    fix: 'get an approving review from one of spec.exceptions.approvers of ecosystem/governance/settings.yaml',
  }),
  loader('exceptions.lifetime', {
    summary: 'a PolicyException expires within settings exceptions.maxDays',
    details: 'Waivers are temporary: their lifetime is bounded so they are reviewed again.',
    example: { file: 'ecosystem/governance/exceptions/x.yaml', line: '17:12', message: 'exception x expires 2030-01-01, more than 500 days from now: it waives nothing', hint: 'set spec.expires to 2028-04-07 or earlier, and renew it when it runs out' },
    fix: 'set spec.expires to a date within spec.exceptions.maxDays of today',
  }),
  loader('ref.unknown', {
    summary: 'every name a manifest mentions exists (extends, namespace, dependsOn, contracts, adapter, promotion.from, instance platforms, exception targets)',
    details: 'A reference to something that does not exist is an error at the reference, with the closest existing name.',
    example: { file: 'ecosystem/platform-cloud/dev/platform.yaml', line: '25:13', message: 'platform "data-platfrom" does not exist', hint: 'did you mean "data-platform"?' },
    fix: 'correct the name as the hint suggests, or add the missing manifest',
  }),
  loader('ref.cycle', {
    summary: 'template extends, dependsOn and promotion.from chains have no cycles',
    details: 'A cycle has no first element: nothing can be resolved, started or promoted first.',
    example: { file: 'platforms/a-platform/platform.yaml', line: '20:7', message: 'platforms depend on each other in a cycle: a-platform → b-platform → a-platform', hint: 'remove one dependsOn entry of the cycle' },
    fix: 'remove one link of the cycle the message lists',
  }),
  loader('ref.depth', {
    summary: 'template chains are at most 5 deep',
    details: 'Deep chains make a platform hard to read; five levels are plenty.',
    example: { file: 'ecosystem/platform-templates/t6.yaml', line: '8:12', message: 'template chain is 6 deep, over the limit of 5: t6 → t5 → t4 → t3 → t2 → t1', hint: 'flatten the chain: extend a template nearer the root' },
    fix: 'make spec.extends point at a template nearer the root',
  }),
  loader('ref.instance-missing', {
    summary: 'every Environment has a PlatformInstance (its platform.yaml)',
    details: 'Without an instance nothing says what runs in the environment; an empty one declares platforms: [].',
    example: { file: 'ecosystem/platform-cloud/qa/environment.yaml', line: '5:9', message: 'environment qa has no PlatformInstance (expected ecosystem/platform-cloud/qa/platform.yaml)', hint: 'add ecosystem/platform-cloud/qa/platform.yaml (kind PlatformInstance, spec.environment: qa)' },
    fix: 'add <env dir>/platform.yaml with kind PlatformInstance, spec.environment and spec.platforms (or platforms: [])',
  }),
  loader('instances.version-ahead', {
    severity: 'warning',
    summary: "an instance runs no release newer than the platform's catalog spec.version",
    details: "The catalog (platforms/<name>/platform.yaml, spec.version) names a platform's newest release. An environment asking for a later version runs something nobody released, and its image tag usually does not exist. A pre-release (1.9.0-pr.42) is a build under review and may run ahead.",
    example: { file: 'ecosystem/platform-cloud/dev/platform.yaml', line: '26:7', message: "dev runs data-platform 0.9.1, but the catalog's newest version is 0.9.0 (platforms/data-platform/platform.yaml)", hint: 'release it first: set spec.version: 0.9.1 in platforms/data-platform/platform.yaml; or write version: 0.9.0 here' },
    fix: "bump spec.version in the platform's catalog file first (a release), or lower the instance's version",
  }),
  loader('path.outside-root', {
    summary: 'secret files and paths stay inside the repository',
    details: 'A secret read from a file outside the repository (../, absolute, or through a symlink) could read anything on the runner.',
    example: { file: 'platforms/x-platform/platform.yaml', line: '30:14', message: 'secrets/tls.key is a symlink to /etc/ssl/private/key, outside the repository', hint: 'replace the symlink with a real file inside the repository' },
    fix: "use a repository-relative path inside a folder the environment's spec.secretSources lists",
  }),
  loader('secrets.unlisted', {
    summary: "a file or env secret comes from a source the environment's spec.secretSources lists",
    details: 'Each environment says which env variables and folders its secrets may come from, so one environment cannot read another\'s.',
    example: { file: 'platforms/x-platform/platform.yaml', line: '32:14', message: 'secret DB_URL of data-platform reads the runner variable MNOPS_PROD_DB, which dev does not list in spec.secretSources.env', hint: 'add MNOPS_PROD_DB to spec.secretSources.env in ecosystem/platform-cloud/dev/environment.yaml' },
    fix: "add the source to the environment's spec.secretSources (env or files), or change the secret's key",
  }),
  loader('secrets.forbidden', {
    summary: 'spec.secretSources lists no forbidden source (e.g. the audit signing key)',
    details: 'Some variables belong to mnops itself; no platform may read them as a secret.',
    example: { file: 'ecosystem/platform-cloud/dev/environment.yaml', line: '20:9', message: 'spec.secretSources.env of dev lists MNOPS_AUDIT_SIGNING_KEY, which is mnops\'s own audit signing key', hint: 'remove MNOPS_AUDIT_SIGNING_KEY from the list' },
    fix: 'remove the value from spec.secretSources',
  }),
  loader('policy.bundle-stale', {
    summary: 'policies/dist is built from the current policies/*.rego',
    details: 'The committed WASM bundle must match the Rego next to it, or the policies that run are not the ones reviewed.',
    example: { file: 'policies/dist/bundle.json', line: '1:1', message: 'the committed policy bundle was built from other sources than policies/', hint: 'run mnops policy build and commit policies/dist' },
    fix: 'run npx mnops policy build and commit policies/dist',
  }),
  loader('policy.bundle-unverified', {
    summary: 'the committed bundle could be rebuilt here to check it',
    severity: 'warning',
    details: 'Without the pinned OPA the bundle is used as committed, unchecked.',
    example: { file: 'policies/dist/bundle.json', line: '1:1', message: 'the committed bundle could not be rebuilt to check it: opa not found', hint: 'install the pinned OPA (npm run setup) where the governance check runs' },
    fix: 'run npm run setup (installs the pinned OPA) where the check runs',
  }),
];

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

export function ruleDoc(id: string): RuleDoc | undefined {
  return BY_ID.get(id);
}
