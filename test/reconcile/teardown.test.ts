// mnops teardown on the real engine when something cannot be removed: a container mnops does
// not manage holds on to the environment's network. Teardown removes everything else, names
// what is left and exits 2; it never says it removed everything. Once the blocker is gone, a
// second teardown finishes (exit 0).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mnops, removeDir } from '../helpers/repo.js';
import { containersOf, docker, ensureImages, uniqueName, writeRepo } from '../promotion/world.js';

const env = uniqueName('td');
const network = `mnops-${env}-internal`;
const blocker = `${env}-blocker`;
let root = '';
const run = (args: string[]) => mnops([...args, '--root', root]);

beforeAll(() => {
  ensureImages();
  root = writeRepo([{ name: env, version: '1.0.0' }]);
});

afterAll(async () => {
  try {
    docker('rm', '-f', blocker);
  } catch {
    // not there
  }
  if (root) await run(['teardown', '--env', env]);
  removeDir(root);
});

describe('mnops teardown', () => {
  it('names what it could not remove and exits 2, then finishes once it can', async () => {
    const a = await run(['apply', '--env', env, '--timeout', '30']);
    expect(a.status, a.stdout + a.stderr).toBe(0);
    // Not managed by mnops: teardown leaves it alone, and it keeps the network in use.
    docker('run', '-d', '--name', blocker, '--network', network, 'mnops/base:busybox', 'sleep', '300');

    const t = await run(['teardown', '--env', env]);
    expect(t.status, t.stdout + t.stderr).toBe(2);
    expect(t.stderr).toContain(`teardown of ${env} could not remove 1 object(s): network ${network}`);
    expect(t.stderr).toContain(`held by container ${blocker}, which mnops does not manage`);
    expect(t.stdout).not.toContain('removed everything');
    // Everything else went.
    expect(containersOf(env)).toEqual([]);

    docker('rm', '-f', blocker);
    const again = await run(['teardown', '--env', env]);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain(`removed everything mnops manages in ${env}`);
    expect(docker('network', 'ls', '--filter', `name=${network}`, '--format', '{{.Name}}')).toBe('');
  }, 90_000);
});
