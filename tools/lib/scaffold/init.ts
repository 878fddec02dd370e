// `mnops init [DIR]`: a new ecosystem in DIR — into an empty folder, or one that holds
// nothing the scaffold would write (a fresh clone with its own README is refused by name).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ID_PATTERN } from '../manifest/kinds.js';
import { scaffoldFiles, type ScaffoldNames } from './templates.js';
import { addFiles, ScaffoldError } from './write.js';

export const DEFAULT_NAMES: Omit<ScaffoldNames, 'project'> = { platform: 'example-platform', namespace: 'apps', owner: 'platform-team' };

/** A project id from a folder's name: what `PROJECT_ID_PATTERN` accepts, or "ecosystem". */
export function projectIdFrom(folder: string): string {
  const id = folder
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 20)
    .replace(/^-+|-+$/g, '');
  return new RegExp(PROJECT_ID_PATTERN).test(id) ? id : 'ecosystem';
}

const PLATFORM_NAME = /^[a-z][a-z0-9-]{1,40}-platform$/;
const TEAM_NAME = /^[a-z0-9][a-z0-9-]*$/;

export interface InitResult {
  dir: string;
  files: string[];
}

export function initEcosystem(dir: string, names: Partial<ScaffoldNames> = {}): InitResult {
  const abs = path.resolve(dir);
  const n: ScaffoldNames = { ...DEFAULT_NAMES, project: projectIdFrom(path.basename(abs)), ...names };
  if (!new RegExp(PROJECT_ID_PATTERN).test(n.project)) {
    throw new ScaffoldError(`project id "${n.project}" is not valid`, `use lower-case letters, digits and inner hyphens, at most 20 characters, e.g. ${projectIdFrom(n.project)}`);
  }
  if (!PLATFORM_NAME.test(n.platform)) {
    throw new ScaffoldError(`platform name "${n.platform}" does not match the naming rule ${PLATFORM_NAME.source}`, 'use a lower-case name ending in -platform, e.g. billing-platform');
  }
  for (const [flag, value] of [['--namespace', n.namespace], ['--owner', n.owner]] as const) {
    if (!TEAM_NAME.test(value)) throw new ScaffoldError(`${flag} "${value}" is not a lower-case name`, `use letters, digits and dashes, e.g. ${flag === '--owner' ? 'platform-team' : 'apps'}`);
  }
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw new ScaffoldError(`${dir} is a file, not a folder`, 'pass a folder to scaffold into (it is created when missing)');
  const files = scaffoldFiles(n);
  const shown = (rel: string) => path.relative(process.cwd(), path.join(abs, rel)) || rel;
  addFiles(abs, files, shown);
  return { dir: abs, files: [...files.keys()] };
}
