// Where the providers find the engine: an explicit socket, else DOCKER_HOST with its TLS
// settings. A wrong setting is one sentence naming what to fix, before any engine call.
import { afterEach, describe, expect, it } from 'vitest';
import { createDockerProvider } from '../../tools/lib/provider/docker/index.js';
import { connectEngine, endpointOf } from '../../tools/lib/provider/engine.js';
import { ProviderError } from '../../tools/lib/provider/errors.js';
import { createSwarmProvider } from '../../tools/lib/provider/swarm/index.js';
import { mnops } from '../helpers/repo.js';

const saved = { host: process.env.DOCKER_HOST, tls: process.env.DOCKER_TLS_VERIFY, certs: process.env.DOCKER_CERT_PATH };
afterEach(() => {
  for (const [k, v] of [['DOCKER_HOST', saved.host], ['DOCKER_TLS_VERIFY', saved.tls], ['DOCKER_CERT_PATH', saved.certs]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('connecting to the engine', () => {
  it('an explicit socket wins over a tcp:// DOCKER_HOST, on both engines', async () => {
    // Nothing listens on port 1: a client that followed DOCKER_HOST would not answer.
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
    const docker = connectEngine('/var/run/docker.sock');
    expect(endpointOf(docker)).toBe('/var/run/docker.sock');
    await expect(docker.ping()).resolves.toBeTruthy();
    await expect(createDockerProvider({ socketPath: '/var/run/docker.sock' }).ping()).resolves.not.toThrow();
    await expect(createSwarmProvider({ socketPath: '/var/run/docker.sock' }).ping()).resolves.not.toThrow();
  });

  it('without a socket, DOCKER_HOST says where the engine is', () => {
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:2375';
    expect(endpointOf(connectEngine())).toBe('127.0.0.1:2375');
    process.env.DOCKER_HOST = 'unix:///run/other.sock';
    expect(endpointOf(connectEngine())).toBe('/run/other.sock');
  });

  it('a DOCKER_CERT_PATH without the TLS files is a ProviderError naming the file', () => {
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:2376';
    process.env.DOCKER_TLS_VERIFY = '1';
    process.env.DOCKER_CERT_PATH = '/nonexistent/mnops-certs';
    const err = (() => {
      try {
        connectEngine();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).message).toBe("cannot read the engine's TLS file /nonexistent/mnops-certs/ca.pem (no such file)");
    expect((err as ProviderError).hint).toMatch(/DOCKER_CERT_PATH/);
  });

  it('the CLI says so in one sentence and exits 2, for missing TLS files and for a DOCKER_HOST that is no address', async () => {
    const tls = await mnops(['plan', '--env', 'dev'], { env: { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent/mnops-certs' } });
    expect(tls.status).toBe(2);
    expect(tls.stderr).toContain("mnops: cannot read the engine's TLS file /nonexistent/mnops-certs/ca.pem (no such file)");
    expect(tls.stderr).not.toMatch(/unexpected error|\n\s+at /);
    const bad = await mnops(['plan', '--env', 'dev'], { env: { DOCKER_HOST: 'tcp://[not-a-host' } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('mnops: DOCKER_HOST=tcp://[not-a-host is not an engine address');
  });
});
