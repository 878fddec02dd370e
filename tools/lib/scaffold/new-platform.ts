// `mnops new platform NAME`: a catalog entry (platforms/NAME/platform.yaml) with what a
// platform needs to validate: a version, a namespace that exists and an owner it lists.
import path from 'node:path';
import type { Ecosystem } from '../manifest/ecosystem.js';
import { validateDocument } from '../manifest/schema.js';
import { parseManifestText } from '../manifest/load.js';
import { mustExist, checkNewName, refuseExisting } from './names.js';
import { platformManifest } from './templates.js';
import { createFolder, ScaffoldError } from './write.js';

export interface NewPlatformOptions {
  namespace?: string;
  owner?: string;
  /** A PlatformTemplate to extend; default base-service when there is one. */
  extends?: string;
}

export interface NewPlatformResult {
  file: string;
  namespace: string;
  owner: string;
  extends?: string;
}

export function newPlatform(eco: Ecosystem, name: string, options: NewPlatformOptions = {}): NewPlatformResult {
  checkNewName(eco, 'platform', name);
  refuseExisting(eco, 'Platform', name);
  const file = `platforms/${name}/platform.yaml`;

  let namespace = options.namespace;
  if (namespace === undefined) {
    const all = [...eco.namespaces.keys()].sort();
    if (all.length !== 1) {
      throw new ScaffoldError(
        all.length === 0 ? 'no namespace exists for the platform to belong to' : `which namespace does ${name} belong to? (${all.join(', ')})`,
        all.length === 0 ? 'declare one in registry/namespaces.yaml first' : 'pass --namespace NAME',
      );
    }
    namespace = all[0]!;
  }
  const ns = mustExist(eco.namespaces, namespace, 'namespace', '--namespace');
  const owners = ns.manifest.spec.owners;
  const owner = options.owner ?? owners[0]!;
  if (!owners.includes(owner)) {
    throw new ScaffoldError(`--owner ${owner} is not an owner of namespace ${namespace} (${owners.join(', ')})`, `pass one of them, or add ${owner} to spec.owners in ${ns.file}`);
  }
  const template = options.extends ?? (eco.templates.has('base-service') ? 'base-service' : undefined);
  if (template !== undefined) mustExist(eco.templates, template, 'template', '--extends');

  const text = platformManifest(file, name, namespace, owner, template);
  // The text is ours: a schema problem here is a bug, caught before anything is written.
  const problems = parseManifestText(text).documents.flatMap((d) => validateDocument(d.value).problems);
  if (problems.length > 0) throw new Error(`the platform manifest mnops writes fails its schema: ${problems[0]!.message}`);
  createFolder(path.join(eco.root, path.dirname(file)), new Map([['platform.yaml', text]]), path.dirname(file));
  return { file, namespace, owner, ...(template ? { extends: template } : {}) };
}
