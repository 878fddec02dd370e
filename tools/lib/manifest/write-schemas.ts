// Writes schemas/<Kind>.json from the TypeBox definitions (npm run schemas). A test keeps the
// committed files equal to what this would write.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KIND_SCHEMAS, KINDS, type KindName } from './kinds.js';

export function schemaJson(kind: KindName): string {
  const schema = { $schema: 'http://json-schema.org/draft-07/schema#', ...KIND_SCHEMAS[kind] };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export async function writeSchemas(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const kind of KINDS) {
    const file = path.join(dir, `${kind}.json`);
    await writeFile(file, schemaJson(kind));
    written.push(file);
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
  for (const f of await writeSchemas(path.join(root, 'schemas'))) console.log(`wrote ${path.relative(root, f)}`);
}
