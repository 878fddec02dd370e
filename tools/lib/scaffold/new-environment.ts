// `mnops new environment NAME --from ENV --tier T`: a copy of ENV's folder with every name
// rewritten (the Environment, its PlatformInstance and the values that name the environment),
// the tier set, and what the tier requires (a promotion source in staging and prod, no ttl),
// written next to the original in one rename. `cp -r` keeps every name and breaks the
// repository; this keeps comments and layout and changes only names.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, parseAllDocuments, type Document } from 'yaml';
import type { Ecosystem, ManifestRecord } from '../manifest/ecosystem.js';
import { checkNewName, mustExist, refuseExisting } from './names.js';
import { createFolder, ScaffoldError } from './write.js';

export const NEW_ENVIRONMENT_TIERS = ['dev', 'staging', 'prod'] as const;
export type NewEnvironmentTier = (typeof NEW_ENVIRONMENT_TIERS)[number];

export interface NewEnvironmentResult {
  folder: string;
  files: string[];
  tier: NewEnvironmentTier;
  /** The environment the copy promotes from, when its tier needs one. */
  promotesFrom?: string;
}

export function isNewEnvironmentTier(v: string): v is NewEnvironmentTier {
  return (NEW_ENVIRONMENT_TIERS as readonly string[]).includes(v);
}

/** Refuses a name that is taken or breaks the naming rule, and a source that does not exist (before any question is asked). */
export function checkNewEnvironment(eco: Ecosystem, name: string, from: string): ManifestRecord<'Environment'> {
  checkNewName(eco, 'environment', name);
  refuseExisting(eco, 'Environment', name);
  const instanceOfName = eco.instances.get(name);
  if (instanceOfName) throw new ScaffoldError(`a PlatformInstance for environment ${name} already exists in ${instanceOfName.file}`, 'pick another name, or remove that instance first');
  return mustExist(eco.environments, from, 'environment', '--from');
}

export function newEnvironment(eco: Ecosystem, name: string, from: string, tier: NewEnvironmentTier): NewEnvironmentResult {
  const source = checkNewEnvironment(eco, name, from);
  const sourceDir = path.posix.dirname(source.file);
  const folder = `${path.posix.dirname(sourceDir)}/${name}`;

  // The environment's folder, and its instance wherever it lives.
  const sources = new Map<string, string>();
  for (const entry of readdirSync(path.join(eco.root, sourceDir), { withFileTypes: true })) {
    if (entry.isFile() && !entry.name.startsWith('.')) sources.set(entry.name, `${sourceDir}/${entry.name}`);
  }
  const instance = eco.instances.get(from);
  if (instance && path.posix.dirname(instance.file) !== sourceDir) sources.set(sources.has('platform.yaml') ? `platform-${name}.yaml` : 'platform.yaml', instance.file);

  const rewrite = new Rewrite(from, name, tier);
  const files = new Map<string, string>();
  for (const [base, file] of sources) {
    const text = readFileSync(path.join(eco.root, file), 'utf8');
    files.set(base, /\.ya?ml$/i.test(base) ? rewrite.file(file, text) : text);
  }
  createFolder(path.join(eco.root, folder), files, folder);
  return { folder, files: [...files.keys()].map((b) => `${folder}/${b}`), tier, ...(rewrite.promotesFrom ? { promotesFrom: rewrite.promotesFrom } : {}) };
}

type Doc = Document.Parsed;

class Rewrite {
  promotesFrom: string | undefined;

  constructor(
    private readonly from: string,
    private readonly to: string,
    private readonly tier: NewEnvironmentTier,
  ) {}

  file(file: string, text: string): string {
    const docs = parseAllDocuments(text, { version: '1.2' });
    if (!Array.isArray(docs)) return text; // an empty file
    const out = docs.map((doc, i) => {
      if (doc.errors.length > 0) throw new ScaffoldError(`${file} does not parse: ${doc.errors[0]!.message.split('\n')[0]}`, 'run mnops validate and fix it first');
      this.document(file, doc);
      const s = doc.toString({ lineWidth: 0 });
      return i > 0 && !s.startsWith('---') ? `---\n${s}` : s;
    });
    return out.join('');
  }

  private document(file: string, doc: Doc): void {
    const kind = doc.get('kind');
    const name = doc.getIn(['metadata', 'name']);
    if (kind === 'Environment' && name === this.from) return this.environment(doc);
    if (kind === 'PlatformInstance' && doc.getIn(['spec', 'environment']) === this.from) {
      doc.setIn(['spec', 'environment'], this.to);
      if (name === this.from) doc.setIn(['metadata', 'name'], this.to);
      return;
    }
    // Anything else the folder holds would be defined twice by a copy.
    if (typeof kind === 'string' && typeof name === 'string') {
      throw new ScaffoldError(`${file} holds ${kind}/${name}, which a copy would define twice`, `move it out of ${path.posix.dirname(file)}, or copy the folder by hand and rename it`);
    }
  }

  private environment(doc: Doc): void {
    doc.setIn(['metadata', 'name'], this.to);
    doc.setIn(['spec', 'tier'], this.tier);
    const description = doc.getIn(['spec', 'description']);
    if (typeof description === 'string') doc.setIn(['spec', 'description'], `${description} (copied from ${this.from})`);
    // ttl and createdAt belong to sandbox and preview environments only.
    doc.deleteIn(['spec', 'ttl']);
    doc.deleteIn(['spec', 'createdAt']);
    // Staging and prod take versions only through the promotion gate, from a named source.
    const source = doc.getIn(['spec', 'promotion', 'from']);
    if (this.tier !== 'dev' && typeof source !== 'string') {
      doc.setIn(['spec', 'promotion'], doc.createNode({ from: this.from, requires: { approvals: 1, soakMinutes: 60 } }));
    }
    const promotesFrom = doc.getIn(['spec', 'promotion', 'from']);
    if (typeof promotesFrom === 'string') this.promotesFrom = promotesFrom;
    // Values that name the environment (MNOPS_ENV: dev) name the copy.
    const env = doc.getIn(['spec', 'config', 'env'], true);
    if (isMap(env)) {
      for (const pair of env.items) {
        if (isScalar(pair.value) && pair.value.value === this.from) pair.value.value = this.to;
      }
    }
  }
}
