// Writes a new version into an environment's platform.yaml, keeping its comments and layout
// (yaml's Document API edits the one scalar), atomically.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, isMap, isSeq } from 'yaml';
import { MnopsError } from '../repo/errors.js';

export class ManifestEditError extends MnopsError {}

/** Sets spec.platforms[name=platform].version in the PlatformInstance file; returns the old version. */
export function setInstanceVersion(root: string, file: string, platform: string, version: string): string {
  const abs = path.join(root, file);
  const doc = parseDocument(readFileSync(abs, 'utf8'), { version: '1.2' });
  const platforms = doc.getIn(['spec', 'platforms'], true);
  if (!isSeq(platforms)) throw new ManifestEditError(`${file} has no spec.platforms list`, 'run mnops validate');
  const index = platforms.items.findIndex((item) => isMap(item) && item.get('name') === platform);
  if (index < 0) throw new ManifestEditError(`${platform} is not placed in ${file}`, `add it to spec.platforms in ${file} first`);
  const old = String(doc.getIn(['spec', 'platforms', index, 'version']));
  doc.setIn(['spec', 'platforms', index, 'version'], version);
  const tmp = `${abs}.${process.pid}.tmp`;
  writeFileSync(tmp, doc.toString({ lineWidth: 0 }));
  renameSync(tmp, abs);
  return old;
}
