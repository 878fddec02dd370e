// The secret rules as plain functions: which runner variables, paths and Swarm names no
// allow-list can open; who owns the secret files on both engines (and with which mode); the
// tar that carries them into a docker volume; and keyed digests (equal values of two
// platforms differ, another key gives another hash, no key is asked for without secrets).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createBody } from '../../tools/lib/provider/docker/container-spec.js';
import { tarOf } from '../../tools/lib/provider/docker/tar.js';
import { secretFileOwner } from '../../tools/lib/provider/secret-files.js';
import { buildServiceSpec } from '../../tools/lib/provider/swarm/service-spec.js';
import type { DesiredWorkload } from '../../tools/lib/provider/types.js';
import { hashWorkload, type UnhashedWorkload } from '../../tools/lib/reconcile/desired.js';
import { badSecretFolder, forbiddenPath, forbiddenReference, forbiddenSwarmSecret, forbiddenVariable } from '../../tools/lib/secrets/sources.js';

const KEY = Buffer.alloc(32, 1);

function unhashed(over: Partial<UnhashedWorkload> = {}): UnhashedWorkload {
  return {
    platform: 'web-platform',
    environment: 'dev',
    version: '1.0.0',
    image: 'mnops/base:busybox',
    env: {},
    secrets: [{ name: 'API_TOKEN', from: 'env', key: 'APP_API_TOKEN', value: 'hunter2' }],
    resources: {},
    network: {},
    sandbox: { user: '1000:1000' },
    replicas: 1,
    ports: [],
    dependsOn: [],
    ...over,
  };
}

describe('sources no allow-list can open', () => {
  it('runner credentials and settings, in any case; the trail’s own settings', () => {
    for (const name of ['GITHUB_TOKEN', 'github_token', 'GITHUB_API_URL', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'RUNNER_TEMP', 'INPUT_TOKEN', 'INPUT_GITHUB_TOKEN', 'MNOPS_AUDIT_KEY']) {
      expect(forbiddenVariable(name), name).toBeDefined();
    }
    for (const name of ['MNOPS_WEBHOOK_SIGNATURE', 'MNOPS_EXAMPLE_SIGNING_SECRET', 'APP_GITHUB_TOKEN', 'DB_PASSWORD']) expect(forbiddenVariable(name), name).toBeUndefined();
  });

  it('.git anywhere in a path, in any case; the repository root as a secrets folder; escapes', () => {
    for (const p of ['.git/config', '.GIT/config', 'secrets/.git/x', 'a\\.git\\config']) expect(forbiddenPath(p), p).toBeDefined();
    expect(forbiddenPath('secrets/app/.gitignore')).toBeUndefined();
    for (const d of ['.', './', '.git', 'secrets/../.git', '../outside', '/etc']) expect(badSecretFolder(d), d).toBeDefined();
    expect(badSecretFolder('secrets/app')).toBeUndefined();
    expect(forbiddenReference({ name: 'X', from: 'file', key: 'secrets/app/../../.git/config' })?.ruleId).toBe('secrets.forbidden');
  });

  it('the Swarm secrets mnops creates for one platform are never mounted by name', () => {
    expect(forbiddenSwarmSecret('mnops-prod-web-platform-API_TOKEN-0123abcd')).toBeDefined();
    expect(forbiddenSwarmSecret('mnops_prod_telemetry_auth')).toBeUndefined();
  });
});

describe('secret files: one owner and mode on both engines', () => {
  const d = (user?: string) => ({ platform: 'web-platform', environment: 'dev', sandbox: user ? { user } : {} });

  it('the workload’s numeric user, else the image’s, else root; a name is refused', () => {
    expect(secretFileOwner(d('1000:2000'))).toEqual({ uid: 1000, gid: 2000 });
    expect(secretFileOwner(d('1000'))).toEqual({ uid: 1000, gid: 1000 });
    expect(secretFileOwner(d(), '65534:65534')).toEqual({ uid: 65534, gid: 65534 });
    expect(secretFileOwner(d())).toEqual({ uid: 0, gid: 0 });
    expect(secretFileOwner(d('root'))).toEqual({ uid: 0, gid: 0 });
    expect(() => secretFileOwner(d('app'))).toThrow(/runs as "app", a name: its secret files must be owned by a number/);
    expect(() => secretFileOwner(d(), 'nobody')).toThrow(/the image's user/);
  });

  it('swarm mounts every secret 0400, also for a workload without a user (not 0444)', () => {
    const w = hashWorkload(unhashed({ sandbox: {} }), KEY);
    const spec = buildServiceSpec(w, { image: 'img', imageUser: '', networks: new Map([['mnops-dev-web-platform-isolated', 'n1']]), secrets: new Map([['API_TOKEN', { id: 'x', name: 'n' }]]), monitorSeconds: 1, stopGraceSeconds: 1 });
    const c = (spec.TaskTemplate as { ContainerSpec: { Secrets: unknown[] } }).ContainerSpec;
    expect(c.Secrets).toEqual([{ SecretID: 'x', SecretName: 'n', File: { Name: 'API_TOKEN', UID: '0', GID: '0', Mode: 0o400 } }]);
  });

  it('docker mounts the rollout’s volume read-only at /run/secrets and puts nothing in Env', () => {
    const w = hashWorkload(unhashed(), KEY);
    const body = createBody(w, 0, { generation: 'g1' });
    expect(body.Env).toEqual([]);
    expect(body.HostConfig?.Mounts).toEqual([expect.objectContaining({ Type: 'volume', Source: `mnops-dev-web-platform-${w.specHash.slice(0, 12)}-g1-secrets`, Target: '/run/secrets', ReadOnly: true })]);
    expect(JSON.stringify(body)).not.toContain('hunter2');
  });

  it('the tar carries each file with its owner and mode, as tar itself reads it', () => {
    const archive = tarOf([
      { name: 'API_TOKEN', data: Buffer.from('hunter2'), uid: 1000, gid: 2000, mode: 0o400 },
      { name: 'LONG', data: Buffer.alloc(1300, 'x'), uid: 0, gid: 0, mode: 0o400 },
    ]);
    expect(archive.length % 512).toBe(0);
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', '-'], { input: archive, encoding: 'utf8' }).trim().split('\n');
    expect(listing.map((l) => l.split(/\s+/).slice(0, 3).concat(l.split(/\s+/).slice(-1)))).toEqual([
      ['-r--------', '1000/2000', '7', 'API_TOKEN'],
      ['-r--------', '0/0', '1300', 'LONG'],
    ]);
    expect(execFileSync('tar', ['-xOf', '-', 'API_TOKEN'], { input: archive, encoding: 'utf8' })).toBe('hunter2');
  });
});

describe('keyed digests', () => {
  it('equal values of two platforms get different digests; a swarm reference none', () => {
    const a = hashWorkload(unhashed(), KEY);
    const b = hashWorkload(unhashed({ platform: 'api-platform' }), KEY);
    expect(a.secrets[0]!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(a.secrets[0]!.digest).not.toBe(b.secrets[0]!.digest);
    const swarm = hashWorkload(unhashed({ secrets: [{ name: 'DB', from: 'swarm', key: 'db_password', value: '' }] }), undefined);
    expect(swarm.secrets[0]!.digest).toBe('');
  });

  it('the spec hash depends on the key and is stable for one key', () => {
    const w = unhashed();
    expect(hashWorkload(w, KEY).specHash).toBe(hashWorkload(w, Buffer.from(KEY)).specHash);
    expect(hashWorkload(w, KEY).specHash).not.toBe(hashWorkload(w, Buffer.alloc(32, 2)).specHash);
    // A rotated value changes it.
    expect(hashWorkload(unhashed({ secrets: [{ ...w.secrets[0]!, value: 'hunter3' }] }), KEY).specHash).not.toBe(hashWorkload(w, KEY).specHash);
  });

  it('without secret material no key is needed; with it, none is never silently skipped', () => {
    const plain: UnhashedWorkload = unhashed({ secrets: [], env: { GREETING: 'hello' } });
    expect(hashWorkload(plain, undefined).specHash).toMatch(/^[0-9a-f]{16}$/);
    expect(() => hashWorkload(unhashed(), undefined)).toThrow(/without the digest key/);
    expect(() => hashWorkload(unhashed({ secrets: [], env: { DB_PASSWORD: 'x' } }), undefined)).toThrow(/without the digest key/);
    const masked: DesiredWorkload = hashWorkload(unhashed({ secrets: [], env: { DB_PASSWORD: 'hunter2' } }), KEY);
    expect(masked.maskedEnv?.DB_PASSWORD).toMatch(/^hmac:[0-9a-f]{16}$/);
  });
});
