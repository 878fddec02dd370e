// Violations of the local rules planted in a generated ecosystem (bench/synthetic.ts): so a
// comparison of two ways of judging it compares findings of every kind, not empty lists.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

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

