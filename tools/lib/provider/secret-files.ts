// One delivery of secrets on every engine: each secret is a file /run/secrets/<name>, mode
// 0400, owned by the user the workload runs as, and never an environment variable, a label
// or anything else `docker inspect` shows. Swarm mounts its secrets there itself; the docker
// provider fills a volume of its own (docker/secret-volume.ts). Both take owner and mode from
// here, so a workload reads its secrets the same way on either engine.
import { ProviderError } from './errors.js';
import type { DesiredWorkload } from './types.js';

export const SECRETS_DIR = '/run/secrets';
export const SECRET_FILE_MODE = 0o400;

export interface FileOwner {
  uid: number;
  gid: number;
}

/**
 * The owner of the secret files: the workload's `sandbox.user`, else the image's own user,
 * else root. A user name cannot be used: what uid it has is decided inside the image, and a
 * 0400 file must be owned by exactly the uid that reads it.
 */
export function secretFileOwner(d: Pick<DesiredWorkload, 'platform' | 'environment' | 'sandbox'>, imageUser = ''): FileOwner {
  const user = d.sandbox.user || imageUser;
  if (!user) return { uid: 0, gid: 0 };
  const numeric = /^(\d+)(?::(\d+))?$/.exec(user);
  if (numeric) {
    const uid = Number(numeric[1]);
    return { uid, gid: numeric[2] !== undefined ? Number(numeric[2]) : uid };
  }
  if (/^root(:root)?$/.test(user)) return { uid: 0, gid: 0 };
  throw new ProviderError(
    `${d.platform} in ${d.environment} runs as "${user}"${d.sandbox.user ? '' : ' (the image\'s user)'}, a name: its secret files must be owned by a number`,
    'set sandbox.user to a numeric uid:gid (e.g. "1000:1000")',
  );
}
