// `mnops init [DIR]`: a new ecosystem in DIR — into an empty folder, or one that holds
// nothing the scaffold would write (a fresh clone with its own README is refused by name).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { scaffoldFiles, type ScaffoldNames } from './templates.js';
import { addFiles, ScaffoldError } from './write.js';

export const DEFAULT_NAMES: ScaffoldNames = { platform: 'example-platform', namespace: 'apps', owner: 'platform-team' };

const PLATFORM_NAME = /^[a-z][a-z0-9-]{1,40}-platform$/;
const TEAM_NAME = /^[a-z0-9][a-z0-9-]*$/;

export interface InitResult {
  dir: string;
  files: string[];
}

export function initEcosystem(dir: string, names: Partial<ScaffoldNames> = {}): InitResult {
  const n = { ...DEFAULT_NAMES, ...names };
  if (!PLATFORM_NAME.test(n.platform)) {
    throw new ScaffoldError(`platform name "${n.platform}" does not match the naming rule ${PLATFORM_NAME.source}`, 'use a lower-case name ending in -platform, e.g. billing-platform');
  }
  for (const [flag, value] of [['--namespace', n.namespace], ['--owner', n.owner]] as const) {
    if (!TEAM_NAME.test(value)) throw new ScaffoldError(`${flag} "${value}" is not a lower-case name`, `use letters, digits and dashes, e.g. ${flag === '--owner' ? 'platform-team' : 'apps'}`);
  }
  const abs = path.resolve(dir);
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw new ScaffoldError(`${dir} is a file, not a folder`, 'pass a folder to scaffold into (it is created when missing)');
  const files = scaffoldFiles(n);
  const shown = (rel: string) => path.relative(process.cwd(), path.join(abs, rel)) || rel;
  addFiles(abs, files, shown);
  return { dir: abs, files: [...files.keys()] };
}
