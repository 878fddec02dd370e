// The pinned OPA binary: found, never downloaded here (scripts/setup.sh installs it with
// `go install`). Only building and testing policies needs it; validating does not.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from './bundle.js';
import { PolicyError } from './errors.js';

const run = promisify(execFile);

export function pinnedOpaVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { mnops?: { opaVersion?: string } };
  return pkg.mnops?.opaVersion ?? 'v1.22.2';
}

async function versionOf(bin: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(bin, ['version'], { timeout: 10_000 });
    return /^Version:\s*(\S+)/m.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

/** Path of the pinned OPA: $OPA, node_modules/.bin/opa (set up by scripts/setup.sh), PATH, ~/go/bin. */
export async function findOpa(): Promise<string> {
  const want = pinnedOpaVersion().replace(/^v/, '');
  const home = process.env.HOME ?? '';
  const candidates = [process.env.OPA, path.join(packageRoot(), 'node_modules/.bin/opa'), 'opa', path.join(home, 'go/bin/opa')].filter(
    (c): c is string => Boolean(c),
  );
  const seen: string[] = [];
  for (const c of candidates) {
    const v = await versionOf(c);
    if (v === want) return c;
    if (v) seen.push(`${c} is ${v}`);
  }
  throw new PolicyError(
    `OPA ${want} is not installed${seen.length ? ` (${seen.join('; ')})` : ''}`,
    `run npm run setup, or go install github.com/open-policy-agent/opa@v${want}`,
  );
}

export async function opa(args: string[], cwd: string): Promise<{ stdout: string; stderr: string; code: number }> {
  const bin = await findOpa();
  try {
    const { stdout, stderr } = await run(bin, args, { cwd, maxBuffer: 256 * 1024 * 1024, timeout: 600_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number | string };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? String(err), code: typeof e.code === 'number' ? e.code : 2 };
  }
}
