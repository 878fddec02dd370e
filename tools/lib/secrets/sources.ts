// Which secrets a workload may be given. An environment lists the runner variables, repository
// folders and Swarm secrets its platforms may read (spec.secretSources); nothing else is
// delivered. Some sources no list can open: the CI runner's own credentials, mnops's own
// settings, the secrets mnops creates for other workloads, and the repository's .git (where
// actions/checkout leaves its token). validate reports these rules as findings and desired
// state applies them again when it reads the values, so both ask this one file.
import { closeSync, fstatSync, openSync, readSync, realpathSync, constants as fs } from 'node:fs';
import path from 'node:path';
import type { SecretRef, SecretSources } from '../manifest/kinds.js';
import { referenceEscapes, relativeInside } from '../repo/paths.js';

/** Swarm's limit on a secret, applied to every secret so both engines take the same values. */
export const MAX_SECRET_BYTES = 500 * 1024;

export type RefusalRule = 'secrets.forbidden' | 'secrets.unlisted';

export interface Refusal {
  ruleId: RefusalRule;
  message: string;
  hint: string;
}

/** The environment a reference is judged for: its allow-list and the file that holds it. */
export interface SourceContext {
  environment: string;
  file: string;
  sources: SecretSources | undefined;
}

/**
 * Runner variables that are the runner's, never a workload's: GitHub's token and every
 * GITHUB_*, the Actions runtime and OIDC tokens (ACTIONS_*), the runner's own (RUNNER_*),
 * action inputs (INPUT_*, which is how tokens reach actions), and the audit trail's own
 * settings and signing key (MNOPS_AUDIT_*).
 */
const RUNNER_VARIABLE = /^(GITHUB_|ACTIONS_|RUNNER_|INPUT_|MNOPS_AUDIT_)/i;

/** What a runner variable is when no workload may read it (a phrase), or undefined. */
export function forbiddenVariable(name: string): string | undefined {
  if (!RUNNER_VARIABLE.test(name)) return undefined;
  return /^MNOPS_AUDIT_/i.test(name)
    ? "a setting of mnops's audit trail (its signing key among them), which no workload may receive"
    : 'a credential or setting of the CI runner itself, which no workload may receive';
}

/** What a Swarm secret is when no reference may name it (a phrase), or undefined. */
export function forbiddenSwarmSecret(name: string): string | undefined {
  return /^mnops-/i.test(name) ? 'a name mnops gives the secrets it creates for one platform, which no other reference may mount' : undefined;
}

/** True when a repository-relative path has a `.git` segment (any case: some file systems ignore it). */
function inGitDir(rel: string): boolean {
  return rel.split(/[\\/]+/).some((segment) => segment.toLowerCase() === '.git');
}

/** What a repository path is when it can never hold a secret file (a phrase), or undefined. */
export function forbiddenPath(rel: string): string | undefined {
  if (inGitDir(rel)) return "inside .git, which holds the repository's credentials (actions/checkout leaves its token in .git/config)";
  return undefined;
}

function normalized(rel: string): string {
  return path.posix.normalize(rel.replace(/\\/g, '/')).replace(/\/+$/, '');
}

/** What is wrong with an entry of `secretSources.files` (a phrase), or undefined. */
export function badSecretFolder(dir: string): string | undefined {
  const escape = referenceEscapes(dir);
  if (escape) return `a path that ${escape}`;
  const norm = normalized(dir);
  if (norm === '.' || norm === '') return 'the repository root, which holds .git: name a folder for secret files';
  return forbiddenPath(norm);
}

const listHint = (ctx: SourceContext, list: 'env' | 'files' | 'swarm', value: string) =>
  `add ${list === 'files' ? 'its folder' : `"${value}"`} to spec.secretSources.${list} in ${ctx.file} if ${ctx.environment} may give it to workloads, or remove the reference`;

/**
 * The rule a reference breaks in an environment, judged on its text alone (the file system is
 * read by `realSecretFile`). Escapes through `..` or an absolute path are `path.outside-root`
 * findings of the reference check; here they are refused as unlisted.
 */
export function refuseReference(ref: SecretRef, ctx: SourceContext): Refusal | undefined {
  const forbidden = forbiddenReference(ref);
  if (forbidden) return forbidden;
  const sources = ctx.sources ?? {};
  const what = `secret ${ref.name}`;
  if (ref.from === 'env') {
    if ((sources.env ?? []).includes(ref.key)) return undefined;
    return {
      ruleId: 'secrets.unlisted',
      message: `${what} reads the runner variable ${ref.key}, which ${ctx.environment} does not list in spec.secretSources.env`,
      hint: listHint(ctx, 'env', ref.key),
    };
  }
  if (ref.from === 'swarm') {
    if ((sources.swarm ?? []).includes(ref.key)) return undefined;
    return {
      ruleId: 'secrets.unlisted',
      message: `${what} mounts the Swarm secret ${ref.key}, which ${ctx.environment} does not list in spec.secretSources.swarm`,
      hint: listHint(ctx, 'swarm', ref.key),
    };
  }
  if (listedFolder(ref.key, sources) !== undefined) return undefined;
  return {
    ruleId: 'secrets.unlisted',
    message: `${what} reads the file ${ref.key}, which is in no folder ${ctx.environment} lists in spec.secretSources.files`,
    hint: listHint(ctx, 'files', ref.key),
  };
}

/** The rule a reference breaks wherever it is used (the same in every environment). */
export function forbiddenReference(ref: SecretRef): Refusal | undefined {
  let message: string | undefined;
  if (ref.from === 'env') {
    const why = forbiddenVariable(ref.key);
    if (why) message = `secret ${ref.name} reads the runner variable ${ref.key}, ${why}`;
  } else if (ref.from === 'swarm') {
    const why = forbiddenSwarmSecret(ref.key);
    if (why) message = `secret ${ref.name} mounts the Swarm secret ${ref.key}, ${why}`;
  } else if (!referenceEscapes(ref.key)) {
    const why = forbiddenPath(normalized(ref.key));
    if (why) message = `secret ${ref.name} reads the file ${ref.key}, ${why}`;
  }
  if (!message) return undefined;
  return {
    ruleId: 'secrets.forbidden',
    message,
    hint: 'remove the reference: give the workload a secret of its own, from a source its environment lists in spec.secretSources',
  };
}

/** The listed folder a file reference lies in by its text, or undefined. */
function listedFolder(key: string, sources: SecretSources): string | undefined {
  if (referenceEscapes(key)) return undefined;
  const file = normalized(key);
  return (sources.files ?? []).find((dir) => !badSecretFolder(dir) && file.startsWith(`${normalized(dir)}/`));
}

export type RealFile = { ok: true; path: string } | { ok: false; missing: boolean; refusal?: Refusal };

/**
 * Where a `from: file` reference really points, symlinks resolved: the file must lie inside the
 * real path of a listed folder, inside the repository and outside .git. `missing` when the file
 * (or its folder) does not exist — validate then has nothing to judge; resolution refuses.
 */
export function realSecretFile(root: string, ref: SecretRef, ctx: SourceContext): RealFile {
  const dir = listedFolder(ref.key, ctx.sources ?? {});
  if (dir === undefined) return { ok: false, missing: false, refusal: refuseReference(ref, ctx) };
  let realRoot: string;
  let realDir: string;
  let real: string;
  try {
    realRoot = realpathSync(root);
    realDir = realpathSync(path.join(root, normalized(dir)));
    real = realpathSync(path.join(root, normalized(ref.key)));
  } catch {
    return { ok: false, missing: true };
  }
  const inRepo = relativeInside(realRoot, real);
  const dirInRepo = relativeInside(realRoot, realDir);
  const refuse = (message: string): RealFile => ({
    ok: false,
    missing: false,
    refusal: { ruleId: 'secrets.unlisted', message: `secret ${ref.name} reads the file ${ref.key}, which ${message}`, hint: 'replace the symlink with the file itself, inside the listed folder' },
  });
  if (dirInRepo === null || forbiddenPath(dirInRepo)) return refuse(`lies in ${dir}, a symlink to ${realDir}, outside the repository or inside .git`);
  if (inRepo === null) return refuse(`resolves to ${real}, outside the repository`);
  if (forbiddenPath(inRepo)) return refuse(`resolves to ${inRepo}, inside .git`);
  if (relativeInside(realDir, real) === null) return refuse(`resolves to ${inRepo}, outside ${dir}`);
  return { ok: true, path: real };
}

/**
 * Reads a resolved secret file: the last component is not followed again (O_NOFOLLOW), and
 * only a regular file of at most MAX_SECRET_BYTES is read (never a FIFO or a device).
 */
export function readSecretFile(real: string): string {
  const fd = openSync(real, fs.O_RDONLY | fs.O_NOFOLLOW | fs.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_SECRET_BYTES) throw new Error(`larger than ${MAX_SECRET_BYTES / 1024} KiB`);
    const buf = Buffer.alloc(st.size);
    let read = 0;
    while (read < st.size) {
      const n = readSync(fd, buf, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
