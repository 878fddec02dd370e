// A broken manifest never deletes what runs. Three platforms run on docker and on swarm;
// then one file is broken at a time (a typo, a syntax error, an emptied or deleted file, a
// policy error) and every command that touches an engine — plan, apply (even with
// --prune), deploy, drift and heal — must refuse with the file to fix, and leave every
// container and service exactly as it was (same ids).
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDrift } from '../../tools/lib/drift/index.js';
import { deployPlatform } from '../../tools/lib/promotion/deploy.js';
import { DeclarationError } from '../../tools/lib/reconcile/declaration.js';
import { applyEnvironment, planEnvironment } from '../../tools/lib/reconcile/environment.js';
import { edit, git, mnops, removeDir } from '../helpers/repo.js';
import { ensureImages, uniqueName } from '../promotion/world.js';
import { tearDown, FLEET, SETTINGS_FILE, TEMPLATE_FILE, engineObjects, envFile, instanceFile, platformFile, writeFleet } from './fleet.js';

const id = uniqueName('fc');
const ENVS = [
  { name: `${id}d`, adapter: 'docker' as const },
  { name: `${id}s`, adapter: 'swarm' as const },
];
let root = '';

interface Mutation {
  what: string;
  /** Breaks the repository for the environment `env`; returns the file a user must fix. */
  apply: (env: string) => string;
}

const write = (file: string, text: string) => writeFileSync(path.join(root, file), text);

// Each mutation is applied to the environment under test only where it is per-environment.
const MUTATIONS: Mutation[] = [
  {
    what: 'an unknown field in one entry of the instance',
    apply: (env) => (edit(root, instanceFile(env), /(- name: beta-platform\n(\s+)version: 1\.0\.0\n)/, '$1$2replica: 2\n'), instanceFile(env)),
  },
  { what: 'a YAML syntax error in the instance', apply: (env) => (edit(root, instanceFile(env), 'platforms:', 'platforms: [oops'), instanceFile(env)) },
  { what: 'the instance file emptied', apply: (env) => (write(instanceFile(env), ''), instanceFile(env)) },
  { what: 'the instance file deleted', apply: (env) => (rmSync(path.join(root, instanceFile(env))), instanceFile(env)) },
  { what: 'a malformed extends added to the template', apply: () => (edit(root, TEMPLATE_FILE, 'image:', 'extends: [base]\n  image:'), TEMPLATE_FILE) },
  { what: 'a one-letter typo in a platform extends', apply: () => (edit(root, platformFile('beta-platform'), 'extends: svc', 'extends: svx'), platformFile('beta-platform')) },
  { what: 'a kind typo in a platform', apply: () => (edit(root, platformFile('gamma-platform'), 'kind: Platform', 'kind: Platfrom'), platformFile('gamma-platform')) },
  { what: 'a kind typo in the environment', apply: (env) => (edit(root, envFile(env), 'kind: Environment', 'kind: Enviroment'), envFile(env)) },
  { what: 'a deleted platform file the instance still names', apply: () => (rmSync(path.join(root, platformFile('alpha-platform'))), 'alpha-platform') },
  { what: 'a plaintext secret (policy error)', apply: () => (edit(root, platformFile('alpha-platform'), 'GREETING: hello', 'GREETING: hello\n    DB_PASSWORD: hunter2'), platformFile('alpha-platform')) },
  { what: 'a limit over the tier ceiling (policy error)', apply: () => (edit(root, TEMPLATE_FILE, 'memoryMb: 64', 'memoryMb: 8192'), TEMPLATE_FILE) },
  { what: 'a syntax error in the settings', apply: () => (edit(root, SETTINGS_FILE, 'tiers:', 'tiers: {'), SETTINGS_FILE) },
];

const restore = () => {
  git(root, 'checkout', '-q', '--', '.');
  git(root, 'clean', '-qfd', 'ecosystem', 'platforms');
};

beforeAll(async () => {
  ensureImages();
  root = writeFleet(ENVS);
  for (const e of ENVS) {
    const out = await applyEnvironment({ root, environment: e.name, actor: 'test', healthTimeoutMs: 60_000 });
    expect(out.results.map((r) => r.status)).toEqual(['done', 'done', 'done']);
  }
}, 240_000);

afterAll(async () => {
  if (!root) return;
  restore();
  // In process, not a blocking CLI call: a long synchronous wait starves vitest's worker RPC.
  for (const e of ENVS) {
    await tearDown(root, e.name);
    expect(engineObjects(e.name)).toEqual([]);
  }
  removeDir(root);
}, 180_000);

describe.each(ENVS)('a broken manifest on $adapter', ({ name: env, adapter }) => {
  let before: string[] = [];
  beforeAll(() => {
    before = engineObjects(env);
    expect(before.length, 'three workloads run before the mutations').toBeGreaterThanOrEqual(3);
  });

  it.each(MUTATIONS)('$what: every command refuses and nothing on the engine changes', async (m) => {
    const fix = m.apply(env);
    try {
      const refused = async (p: Promise<unknown>) => {
        const err = await p.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, `${m.what}: the command went ahead`).toBeInstanceOf(DeclarationError);
        expect((err as Error).message).toContain(fix);
        return err as DeclarationError;
      };
      await refused(planEnvironment({ root, environment: env }));
      await refused(applyEnvironment({ root, environment: env, actor: 'test', prune: true, confirmPrune: 3, healthTimeoutMs: 20_000 }));
      await refused(deployPlatform({ root, platform: 'beta-platform', to: env, version: '1.1.0', actor: 'test', healthTimeoutMs: 20_000 }));
      for (const heal of [false, true]) {
        const report = await detectDrift({ root, environments: [env], heal, prune: heal, actor: 'test', healthTimeoutMs: 20_000 });
        const e = report.environments.find((x) => x.environment === env);
        expect(e, JSON.stringify(report)).toBeDefined();
        expect(e!.error, `${m.what}: drift checked anyway`).toMatch(/cannot determine the desired state|does not exist/);
        expect(e!.items).toEqual([]);
        expect(e!.healed).toBeUndefined();
      }
      expect(engineObjects(env), `${m.what} changed the engine on ${adapter}`).toEqual(before);
    } finally {
      restore();
    }
  }, 120_000);

  it('through the CLI: exit 2, one sentence naming file and line, and the engine untouched', async () => {
    edit(root, instanceFile(env), 'platforms:', 'platforms: [oops');
    try {
      for (const args of [['apply', '--env', env, '--prune'], ['plan', '--env', env], ['drift', '--env', env, '--heal', '--prune'], ['teardown', '--env', env]]) {
        const r = await mnops([...args, '--root', root]);
        expect(r.status, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
        expect(r.stdout + r.stderr).toMatch(new RegExp(`${instanceFile(env).replace(/[.]/g, '\\.')}:\\d+:\\d+`));
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
      expect(engineObjects(env)).toEqual(before);
    } finally {
      restore();
    }
  }, 120_000);

  it('a clean tree still applies: nothing to do, same ids', async () => {
    const out = await planEnvironment({ root, environment: env });
    expect(out.plan.actions.map((a) => a.kind)).toEqual(FLEET.map(() => 'noop'));
    expect(engineObjects(env)).toEqual(before);
  });
});
