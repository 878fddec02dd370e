// The manifest model: one TypeBox schema per kind. TypeBox gives us the JSON Schema
// (compiled by ajv, published under schemas/) and the TypeScript type from one source,
// so the two cannot disagree.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** A string enum as a plain JSON Schema `enum` (one clear ajv error, unlike anyOf of consts). */
function StringEnum<const T extends readonly string[]>(values: T, description?: string) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
}

export const API_VERSION = 'mnops/v1';

const strict = { additionalProperties: false } as const;

/** A DNS-label-ish identifier; naming *conventions* (e.g. `-platform`) are policy, not schema. */
const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$', description: 'lower-case identifier' });
const SemVer = Type.String({
  pattern: '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?$',
  description: 'semantic version, e.g. 1.4.0',
});
/** `contract@version` (provides, implements) or `contract@range` (consumes). */
const ContractRef = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*@\\S+$', description: 'contract@version or contract@range' });
// A Record with a key pattern is only patternProperties: without additionalProperties: false
// a key that does not match is not checked at all (an env name with "=" or a space reached
// the engine, where NAME=x=y sets NAME to "x=y").
const onlyMatchingKeys = { additionalProperties: false } as const;
const StringMap = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' }), Type.String(), {
  description: 'NAME → value (non-secret)',
  ...onlyMatchingKeys,
});
const Labels = Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$' }), Type.String({ maxLength: 256 }), onlyMatchingKeys);
const IsoDate = Type.String({ format: 'date', description: 'YYYY-MM-DD' });
const IsoDateTime = Type.String({ format: 'date-time' });
/** Free-form settings: scalars, lists and maps of them. */
const Settings = Type.Record(Type.String(), Type.Unknown());
/** A project id (PolicySettings spec.project, MNOPS_PROJECT): a DNS label piece of at most 20,
 * which leaves room in swarm's 63-character service names for the environment and platform. */
export const PROJECT_ID_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?$';

const Metadata = Type.Object(
  {
    name: Name,
    labels: Type.Optional(Labels),
    annotations: Type.Optional(Labels),
  },
  strict,
);

export const Resources = Type.Object(
  {
    cpuCores: Type.Number({ exclusiveMinimum: 0, maximum: 1024 }),
    memoryMb: Type.Integer({ minimum: 4, maximum: 4_194_304 }),
    diskMb: Type.Integer({ minimum: 1 }),
    maxOpenFds: Type.Integer({ minimum: 16, maximum: 1_048_576 }),
    maxProcesses: Type.Integer({ minimum: 1, maximum: 4_194_304 }),
    maxThreads: Type.Integer({ minimum: 1, maximum: 4_194_304 }),
  },
  { ...strict, description: 'sandbox resource limits' },
);
export type Resources = Static<typeof Resources>;

export const NetworkRule = Type.Object(
  {
    direction: StringEnum(['ingress', 'egress'] as const),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: StringEnum(['tcp', 'udp'] as const),
    cidr: Type.String({ pattern: '^[0-9a-fA-F:.]+/\\d{1,3}$' }),
    action: StringEnum(['allow', 'deny'] as const),
  },
  strict,
);
export const NetworkPolicyName = StringEnum(['no-network', 'egress-only', 'http-only', 'allow-all'] as const);
export const Network = Type.Object(
  { policy: NetworkPolicyName, rules: Type.Optional(Type.Array(NetworkRule)) },
  strict,
);
export type Network = Static<typeof Network>;

export const Sandbox = Type.Object(
  {
    readOnlyRootfs: Type.Optional(Type.Boolean()),
    noNewPrivileges: Type.Optional(Type.Boolean()),
    capDrop: Type.Optional(Type.Array(Type.String({ pattern: '^(ALL|[A-Z_]+)$' }))),
    user: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$' })),
  },
  strict,
);

export const HealthCheck = Type.Object(
  {
    command: Type.Array(Type.String(), { minItems: 1, description: 'exec form, exit 0 = healthy' }),
    intervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    retries: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    startPeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
  },
  strict,
);

export const Port = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]*$' }),
    containerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    hostPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    protocol: Type.Optional(StringEnum(['tcp', 'udp'] as const)),
  },
  strict,
);

export const SecretRef = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'variable or secret name seen by the workload' }),
    from: StringEnum(['env', 'file', 'swarm'] as const),
    key: Type.String({ minLength: 1, description: 'runner env var, repo-relative file, or swarm secret name' }),
  },
  strict,
);
export type SecretRef = Static<typeof SecretRef>;

/**
 * What the platforms of an environment may read secrets from. A reference outside these lists
 * is an error; the CI runner's own credentials and the repository's .git are never allowed.
 */
export const SecretSources = Type.Object(
  {
    env: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), {
        description: 'runner environment variables `from: env` secrets may read, by exact name',
      }),
    ),
    files: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'repository folders `from: file` secrets may read from (the file, symlinks resolved, must lie inside one)',
      }),
    ),
    swarm: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }), {
        description: 'existing Swarm secrets `from: swarm` secrets may mount, by exact name',
      }),
    ),
  },
  { ...strict, description: 'where the platforms of this environment may read secrets from' },
);
export type SecretSources = Static<typeof SecretSources>;

export const Engine = Type.Object(
  { name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9]*$' }), description: Type.Optional(Type.String()) },
  strict,
);

/** Every field a platform (or a layer over one) may set. */
const platformFields = {
  description: Type.Optional(Type.String()),
  owner: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'owning team' })),
  namespace: Type.Optional(Name),
  lifecycle: Type.Optional(
    StringEnum(['experimental', 'active', 'deprecated'] as const),
  ),
  version: Type.Optional(SemVer),
  extends: Type.Optional(Name),
  engines: Type.Optional(Type.Array(Engine)),
  image: Type.Optional(Type.String({ minLength: 1, description: 'image reference; ${version} is replaced' })),
  command: Type.Optional(Type.Array(Type.String())),
  ports: Type.Optional(Type.Array(Port)),
  env: Type.Optional(StringMap),
  secrets: Type.Optional(Type.Array(SecretRef)),
  resources: Type.Optional(Type.Partial(Resources)),
  network: Type.Optional(Type.Partial(Network)),
  sandbox: Type.Optional(Sandbox),
  healthCheck: Type.Optional(HealthCheck),
  replicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  provides: Type.Optional(Type.Array(ContractRef)),
  consumes: Type.Optional(Type.Array(ContractRef)),
  dependsOn: Type.Optional(Type.Array(Name)),
  config: Type.Optional(Settings),
  driftIgnore: Type.Optional(Type.Array(Type.String({ pattern: '^(/[^/]*)+$', description: 'JSON pointer' }))),
};

export const PlatformSpec = Type.Object(platformFields, strict);
export type PlatformSpec = Static<typeof PlatformSpec>;

/** What environment config and instance overrides may layer onto a platform. */
export const PlatformOverlay = Type.Object(
  {
    env: platformFields.env,
    resources: platformFields.resources,
    network: platformFields.network,
    sandbox: platformFields.sandbox,
    healthCheck: Type.Optional(Type.Partial(HealthCheck)),
    replicas: platformFields.replicas,
    config: platformFields.config,
  },
  { ...strict, description: 'values layered onto every platform of the environment (secrets: use spec.secrets)' },
);
export type PlatformOverlay = Static<typeof PlatformOverlay>;

const envelope = <K extends string, S extends TSchema>(kind: K, spec: S, description: string) =>
  Type.Object(
    {
      apiVersion: Type.Literal(API_VERSION),
      kind: Type.Literal(kind),
      metadata: Metadata,
      spec,
    },
    { ...strict, $id: `https://machine-native-ops.dev/schemas/${kind}.json`, title: kind, description },
  );

export const Platform = envelope(
  'Platform',
  Type.Object(
    {
      ...platformFields,
      owner: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'owning team' }),
      namespace: Name,
      version: SemVer,
      lifecycle: platformFields.lifecycle,
    },
    strict,
  ),
  'A platform of the catalog (platforms/<name>/platform.yaml).',
);
export type Platform = Static<typeof Platform>;

export const PlatformTemplate = envelope(
  'PlatformTemplate',
  PlatformSpec,
  'Reusable platform defaults; templates extend templates (at most 5 deep).',
);
export type PlatformTemplate = Static<typeof PlatformTemplate>;

export const Tier = StringEnum(['dev', 'staging', 'prod', 'sandbox', 'preview'] as const);
export type Tier = Static<typeof Tier>;

/** Tiers where versions arrive only through the promotion gate, and changes only from the default branch. */
export function isGatedTier(tier: Tier): boolean {
  return tier === 'staging' || tier === 'prod';
}

export const FreezeWindow = Type.Object(
  { name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }), start: IsoDateTime, end: IsoDateTime, reason: Type.Optional(Type.String()) },
  strict,
);

export const Environment = envelope(
  'Environment',
  Type.Object(
    {
      tier: Tier,
      description: Type.Optional(Type.String()),
      ttl: Type.Optional(Type.String({ pattern: '^\\d+(h|d)$', description: 'lifetime, e.g. 48h or 7d' })),
      createdAt: Type.Optional(IsoDateTime),
      adapter: Name,
      customer: Type.Optional(Name),
      promotion: Type.Optional(
        Type.Object(
          {
            from: Name,
            requires: Type.Optional(
              Type.Object(
                {
                  approvals: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
                  soakMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 43_200 })),
                },
                strict,
              ),
            ),
          },
          strict,
        ),
      ),
      freezeWindows: Type.Optional(Type.Array(FreezeWindow)),
      config: Type.Optional(PlatformOverlay),
      secrets: Type.Optional(Type.Array(SecretRef)),
      secretSources: Type.Optional(SecretSources),
    },
    strict,
  ),
  'An environment (ecosystem/platform-cloud/<env>/environment.yaml).',
);
export type Environment = Static<typeof Environment>;

export const InstanceEntry = Type.Object(
  {
    name: Name,
    version: SemVer,
    replicas: platformFields.replicas,
    resources: platformFields.resources,
    env: platformFields.env,
    config: platformFields.config,
  },
  strict,
);
export type InstanceEntry = Static<typeof InstanceEntry>;

export const PlatformInstance = envelope(
  'PlatformInstance',
  Type.Object({ environment: Name, platforms: Type.Array(InstanceEntry) }, strict),
  'Which platforms run in an environment, at which version (ecosystem/platform-cloud/<env>/platform.yaml).',
);
export type PlatformInstance = Static<typeof PlatformInstance>;

const JsonSchemaObject = Type.Record(Type.String(), Type.Unknown(), { description: 'a JSON Schema' });
export const Contract = envelope(
  'Contract',
  Type.Object(
    {
      version: Type.String({ description: 'semantic version; must match the file name' }),
      description: Type.Optional(Type.String()),
      operations: Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_]*$' }),
            description: Type.Optional(Type.String()),
            input: Type.Optional(JsonSchemaObject),
            output: Type.Optional(JsonSchemaObject),
          },
          strict,
        ),
      ),
      events: Type.Optional(
        Type.Array(
          Type.Object(
            { name: Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_.]*$' }), description: Type.Optional(Type.String()), payload: Type.Optional(JsonSchemaObject) },
            strict,
          ),
        ),
      ),
    },
    strict,
  ),
  'A versioned contract (ecosystem/contracts/<name>/<version>.yaml).',
);
export type Contract = Static<typeof Contract>;

export const Adapter = envelope(
  'Adapter',
  Type.Object(
    {
      provider: StringEnum(['docker', 'swarm', 'aws', 'azure', 'gcp', 'on-prem'] as const),
      description: Type.Optional(Type.String()),
      implements: Type.Array(ContractRef),
      settings: Type.Optional(Settings),
    },
    strict,
  ),
  'A provider adapter (ecosystem/ecosystem-cloud/adapters/<name>.yaml).',
);
export type Adapter = Static<typeof Adapter>;

export const Namespace = envelope(
  'Namespace',
  Type.Object(
    {
      description: Type.Optional(Type.String()),
      owners: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }), { minItems: 1 }),
    },
    strict,
  ),
  'A registry namespace and its owning teams (registry/).',
);
export type Namespace = Static<typeof Namespace>;

export const PolicyException = envelope(
  'PolicyException',
  Type.Object(
    {
      rule: Type.String({ pattern: '^[a-z][a-z0-9-]*(\\.[a-z0-9-]+)+$' }),
      target: Type.Object(
        {
          kind: StringEnum(['Platform', 'PlatformTemplate', 'Environment', 'PlatformInstance', 'Contract', 'Adapter', 'Namespace'] as const),
          name: Name,
          environment: Type.Optional(Name),
        },
        strict,
      ),
      reason: Type.String({ minLength: 10 }),
      approvedBy: Type.String({ minLength: 1 }),
      expires: IsoDate,
    },
    strict,
  ),
  'A waiver of one rule for one target until a date (ecosystem/governance/).',
);
export type PolicyException = Static<typeof PolicyException>;

const Severity = StringEnum(['error', 'warning', 'note', 'off'] as const);
const TierSettings = Type.Object(
  {
    ceilings: Type.Optional(Type.Partial(Resources)),
    severity: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]*(\\.[a-z0-9-]+)+$' }), Severity, { description: 'rule id → error | warning | note | off', ...onlyMatchingKeys }),
    ),
  },
  strict,
);
export const PolicySettings = envelope(
  'PolicySettings',
  Type.Object(
    {
      description: Type.Optional(Type.String()),
      // The id in the name and the mnops.project label of every engine object this repository
      // creates, so repositories and clones sharing one engine never touch each other's. Absent:
      // the plain mnops-<env>-… names of before projects. MNOPS_PROJECT overrides it per clone.
      // The length is in the pattern, so a bad id gets the one message that says what a good one is.
      project: Type.Optional(
        Type.String({
          pattern: PROJECT_ID_PATTERN,
          description: 'project id: lower-case letters, digits and inner hyphens, at most 20 characters, e.g. shop-eu',
        }),
      ),
      tiers: Type.Optional(
        Type.Object(
          {
            dev: Type.Optional(TierSettings),
            staging: Type.Optional(TierSettings),
            prod: Type.Optional(TierSettings),
            sandbox: Type.Optional(TierSettings),
            preview: Type.Optional(TierSettings),
          },
          strict,
        ),
      ),
      ttl: Type.Optional(
        Type.Object(
          { maxHours: Type.Optional(Type.Partial(Type.Object({ sandbox: Type.Integer({ minimum: 1 }), preview: Type.Integer({ minimum: 1 }) }, strict))) },
          strict,
        ),
      ),
      secrets: Type.Optional(
        Type.Object(
          {
            keyPattern: Type.Optional(Type.String({ minLength: 1, description: 'regular expression for secret-looking keys' })),
            valuePatterns: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'extra token formats (regular expressions)' })),
          },
          strict,
        ),
      ),
      naming: Type.Optional(
        Type.Object({ platform: Type.Optional(Type.String({ minLength: 1 })), environment: Type.Optional(Type.String({ minLength: 1 })) }, strict),
      ),
      exceptions: Type.Optional(
        Type.Object(
          {
            maxDays: Type.Optional(Type.Integer({ minimum: 1, description: 'longest a PolicyException may run, from now to its expiry (default 90)' })),
            approvers: Type.Optional(
              Type.Array(Type.String({ minLength: 1 }), {
                description: 'GitHub logins whose approval of a pull request lets the exceptions it adds or changes count',
              }),
            ),
          },
          strict,
        ),
      ),
      reconcile: Type.Optional(
        Type.Object(
          {
            maxPrunePercent: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: 100,
                description: 'in staging and prod, a prune of more than this share of the platforms also needs --confirm-prune N (default 30)',
              }),
            ),
          },
          strict,
        ),
      ),
      audit: Type.Optional(
        Type.Object(
          {
            signers: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    name: Type.String({ minLength: 1, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]+$', description: 'who holds the key, e.g. the runner or workflow it is the secret of' }),
                    publicKey: Type.String({
                      // Every Ed25519 SPKI DER in base64 starts with this prefix.
                      pattern: '^MCowBQYDK2VwAyEA[A-Za-z0-9+/]{43}=$',
                      description: 'Ed25519 public key, base64 SPKI DER, as mnops audit keygen prints it',
                    }),
                    until: Type.Optional(Type.Integer({ minimum: 0, description: 'the last record seq this key may sign (a retired or revoked key)' })),
                    actions: Type.Optional(
                      Type.Array(Type.String({ minLength: 1 }), {
                        minItems: 1,
                        description: 'the only actions this key may sign (default: all), e.g. [drift-detected, drift-cleared] for a key every branch can reach',
                      }),
                    ),
                  },
                  strict,
                ),
                { description: 'keys allowed to sign audit records; once one is listed every record must be signed (but those before signedFrom)' },
              ),
            ),
            signedFrom: Type.Optional(
              Type.Integer({ minimum: 1, description: 'first record seq that must be signed; earlier, unsigned records of an existing trail are accepted (default 1)' }),
            ),
          },
          strict,
        ),
      ),
    },
    strict,
  ),
  'Governance tunables: tier ceilings, severity overrides, ttl limits, secret and naming patterns, prune limits, audit signers (ecosystem/governance/).',
);
export type PolicySettings = Static<typeof PolicySettings>;

export const KIND_SCHEMAS = {
  Platform,
  PlatformTemplate,
  Environment,
  PlatformInstance,
  Contract,
  Adapter,
  Namespace,
  PolicyException,
  PolicySettings,
} as const;

export type KindName = keyof typeof KIND_SCHEMAS;
export const KINDS = Object.keys(KIND_SCHEMAS) as KindName[];

export interface KindTypes {
  Platform: Platform;
  PlatformTemplate: PlatformTemplate;
  Environment: Environment;
  PlatformInstance: PlatformInstance;
  Contract: Contract;
  Adapter: Adapter;
  Namespace: Namespace;
  PolicyException: PolicyException;
  PolicySettings: PolicySettings;
}

export type AnyManifest = KindTypes[KindName];

export function isKindName(v: unknown): v is KindName {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(KIND_SCHEMAS, v);
}
