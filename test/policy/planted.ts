// Violations of the local rules planted in a generated ecosystem (bench/synthetic.ts): so a
// comparison of two ways of judging it compares findings of every kind, not empty lists.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { git } from '../helpers/repo.js';

/** The rules `plantViolations` makes fire. */
export const PLANTED_RULES = ['resources.ceiling', 'images.pinned', 'network.host-port', 'contracts.unsatisfied', 'secrets.plaintext', 'sandbox.hardened', 'ownership.owner'];

/** Plants violations of the local rules in a generated ecosystem's platforms, templates and environments. */
export function plantViolations(root: string): void {
  const edit = (file: string, fn: (t: string) => string) => {
    const abs = path.join(root, file);
    const next = fn(readFileSync(abs, 'utf8'));
    writeFileSync(abs, next);
  };
  // Platforms a prod environment runs: only placed platforms are judged in an environment,
  // and prod is where every rule applies.
  const envDir = path.join(root, 'ecosystem/platform-cloud');
  const prod = readdirSync(envDir).sort().filter((e) => /^ {2}tier: prod$/m.test(readFileSync(path.join(envDir, e, 'environment.yaml'), 'utf8')));
  const placed = [...new Set(prod.flatMap((e) => [...readFileSync(path.join(envDir, e, 'platform.yaml'), 'utf8').matchAll(/- name: (\S+)/g)].map((m) => m[1]!)))].filter(
    (p) => !p.startsWith('core-'),
  );
  const file = (i: number) => `platforms/${placed[i * 3]!}/platform.yaml`;
  edit(file(1), (t) => t.replace(/memoryMb: \d+/, 'memoryMb: 999999'));
  edit(file(2), (t) => t.replace(/image: .*/, 'image: "mnops/app:latest"'));
  // Set, or add at the end of spec (platforms end with spec fields).
  const put = (t: string, field: string, line: string) => (new RegExp(`^ {2}${field}:.*\n(?: {4}.*\n)*`, 'm').test(t) ? t.replace(new RegExp(`^ {2}${field}:.*\n(?: {4}.*\n)*`, 'm'), line) : `${t}${line}`);
  edit(file(3), (t) => put(t, 'ports', '  ports:\n    - {name: http, containerPort: 8080, hostPort: 80}\n'));
  edit(file(4), (t) => t.replace(/consumes: \[/, 'consumes: [nowhere-api@^9.0.0, '));
  edit(file(5), (t) => t.replace(/ {2}env:\n/, '  env:\n    API_TOKEN: "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\n'));
  edit(file(7), (t) => t.replace(/owner: \S+/, 'owner: nobody-team'));
  // Prod environments set the sandbox for all they run.
  edit(`ecosystem/platform-cloud/${prod[0]!}/environment.yaml`, (t) => t.replace(/ {6}readOnlyRootfs: true/, '      readOnlyRootfs: false'));
  edit(`ecosystem/platform-cloud/${prod[prod.length - 1]!}/environment.yaml`, (t) => t.replace(/ {4}replicas: (\d+)\n/, '    replicas: $1\n    resources: {memoryMb: 888888}\n'));
}


/** Every sixth platform over its memory ceiling: findings all over the base, for changes to reach. */
export function plantCeilings(root: string): void {
  for (const [i, d] of readdirSync(path.join(root, 'platforms')).sort().entries()) {
    if (i % 6 !== 0) continue;
    const file = path.join(root, 'platforms', d, 'platform.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/memoryMb: \d+/, 'memoryMb: 999999'));
  }
}

export type Edit = [RegExp, string];

/**
 * One random change of a repository's committed manifests, from a seed: one to three of
 * `edits` on random files, or (one time in `deleteOneIn`) a file deleted. What it did, a line each.
 */
export function randomChange(root: string, seed: number, edits: Edit[], deleteOneIn: number): string[] {
  let s = seed || 1;
  const rand = (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
  const all = git(root, 'ls-files').split('\n').filter((f) => f.endsWith('.yaml'));
  const touched: string[] = [];
  for (let k = 1 + rand(3); k > 0; k--) {
    const file = all[rand(all.length)]!;
    const abs = path.join(root, file);
    if (rand(deleteOneIn) === 0) {
      rmSync(abs);
      touched.push(`${file} (deleted)`);
      continue;
    }
    const text = readFileSync(abs, 'utf8');
    const [re, to] = edits[rand(edits.length)]!;
    const next = text.replace(re, to);
    if (next !== text) {
      writeFileSync(abs, next);
      touched.push(`${file}: ${String(re)} -> ${to}`);
    }
  }
  return touched;
}
