// The project an engine object belongs to: two repositories (or two clones of one) that share
// a Docker engine each see and touch only their own containers, services, networks, secrets
// and volumes. The id goes into every name (`mnops-<project>-…`) and onto every object as the
// `mnops.project` label, which every list filters on. The empty project is how mnops named
// things before projects existed: the plain `mnops-…` names, objects without the label.
import type { Ecosystem } from '../manifest/ecosystem.js';
import { PROJECT_ID_PATTERN } from '../manifest/kinds.js';
import { ProviderError } from './errors.js';
import { LABELS } from './types.js';

/** The variable that gives one clone its own project, over the settings' spec.project. */
export const PROJECT_ENV = 'MNOPS_PROJECT';

const PROJECT_ID = new RegExp(PROJECT_ID_PATTERN);
const PROJECT_ID_RULE = 'lower-case letters, digits and inner hyphens, at most 20 characters, e.g. shop-eu';

/** The start of every engine object name of the project. */
export function namePrefix(project = ''): string {
  return project ? `mnops-${project}` : 'mnops';
}

/** The label every object of a named project carries (none for the empty project). */
export function projectLabels(project = ''): Record<string, string> {
  return project ? { [LABELS.project]: project } : {};
}

/** Label filters that narrow an engine list to the project (the empty project: see `ownedBy`). */
export function projectFilters(project = ''): string[] {
  return project ? [`${LABELS.project}=${project}`] : [];
}

/** True when an object with these labels belongs to the project. An engine cannot filter on a
 * label's absence, so the empty project's lists drop the objects of named projects here. */
export function ownedBy(project: string, labels: Record<string, string> | undefined | null): boolean {
  return (labels?.[LABELS.project] ?? '') === project;
}

/** True for a project id. */
export function isProjectId(id: string): boolean {
  return PROJECT_ID.test(id);
}

/**
 * The project of this run: MNOPS_PROJECT when it is set (set and empty: the unnamed project,
 * how a clone reaches what was deployed before projects), else the settings' spec.project,
 * else the unnamed project.
 */
export function projectOf(eco: Pick<Ecosystem, 'settings'>, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[PROJECT_ENV];
  if (override !== undefined) {
    if (override !== '' && !isProjectId(override)) {
      throw new ProviderError(`${PROJECT_ENV}="${override}" is not a project id (${PROJECT_ID_RULE})`, `set ${PROJECT_ENV} to one, e.g. ${PROJECT_ENV}=${suggestion(override)}, or unset it to use spec.project of the settings`);
    }
    return override;
  }
  const settings = [...eco.settings.values()][0];
  const declared = settings?.manifest.spec.project;
  if (declared === undefined) return '';
  if (!isProjectId(declared)) {
    throw new ProviderError(`${settings!.file}: spec.project "${declared}" is not a project id (${PROJECT_ID_RULE})`, `write a project id there, e.g. project: ${suggestion(declared)} (mnops validate shows the line)`);
  }
  return declared;
}

/** A project id close to what was typed: lower-cased, runs of other characters as one hyphen. */
function suggestion(typed: string): string {
  const id = typed.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 20).replace(/-+$/, '');
  return id || 'my-project';
}


/** Who else an mnops object with these labels belongs to ("project shop-eu, environment dev"),
 * or undefined when it is this project's and environment's (or not mnops' at all). Names can
 * meet across projects: the unnamed project's environment `a-dev` names its networks as
 * project `a`'s `dev` does. */
export function otherOwner(project: string, environment: string, labels: Record<string, string> | undefined | null): string | undefined {
  if (labels?.[LABELS.managed] !== 'true') return undefined;
  const theirs = labels[LABELS.project] ?? '';
  const env = labels[LABELS.environment] ?? '';
  if (theirs === project && env === environment) return undefined;
  return `${theirs ? `project ${theirs}` : 'no project'}, environment ${env}`;
}

/** The refusal to use an object of another project or environment that has the name ours needs. */
export function nameTakenError(what: string, owner: string): ProviderError {
  return new ProviderError(
    `${what} belongs to ${owner}: the name is taken`,
    `give this repository (or that one) a different project id (spec.project in the settings, or ${PROJECT_ENV}), or rename one of the environments`,
  );
}
