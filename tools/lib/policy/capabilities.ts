// Writes policies/capabilities.json: exactly the builtins our runtime provides — WASM
// natives and the JS SDK's (the SDK's own capabilities.json) plus our host builtins — with
// their declarations from the pinned OPA. `npm run capabilities` after upgrading either.
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOST_BUILTIN_NAMES } from './builtins.js';
import { packageRoot } from './bundle.js';
import { PolicyError } from './errors.js';
import { opa } from './opa.js';

interface Capabilities {
  builtins: { name: string }[];
  future_keywords?: unknown;
  features?: unknown;
}

export async function writeCapabilities(): Promise<string> {
  // The package exports no subpaths; its main entry sits in src/, capabilities.json one up.
  const require = createRequire(import.meta.url);
  const sdkFile = path.join(path.dirname(require.resolve('@open-policy-agent/opa-wasm')), '..', 'capabilities.json');
  const sdk = JSON.parse(await readFile(sdkFile, 'utf8')) as Capabilities;
  const current = await opa(['capabilities', '--current'], packageRoot());
  if (current.code !== 0) throw new PolicyError(`opa capabilities failed: ${current.stderr.trim()}`);
  const all = JSON.parse(current.stdout) as Capabilities;
  const wanted = new Set([...sdk.builtins.map((b) => b.name), ...HOST_BUILTIN_NAMES]);
  const builtins = all.builtins.filter((b) => wanted.has(b.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
  const missing = [...wanted].filter((n) => !builtins.some((b) => b.name === n));
  if (missing.length) throw new PolicyError(`the pinned OPA does not know the builtins ${missing.join(', ')}`);
  const file = path.join(packageRoot(), 'policies', 'capabilities.json');
  await writeFile(file, `${JSON.stringify({ builtins, future_keywords: all.future_keywords, features: all.features }, null, 2)}\n`);
  return file;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(`wrote ${path.relative(process.cwd(), await writeCapabilities())}`);
}
