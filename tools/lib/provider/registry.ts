// Providers by the adapter `provider` field. Cloud adapters are declared and validated but
// not executed: asking to reconcile one is a clear error, never a pretend success.
import type { Ecosystem } from '../manifest/ecosystem.js';
import { ProviderError } from './errors.js';
import { createDockerProvider } from './docker/index.js';
import { projectOf } from './project.js';
import { createSwarmProvider } from './swarm/index.js';
import type { Provider } from './types.js';

export const PROVIDERS: Record<string, (project: string) => Provider> = {
  docker: (project) => createDockerProvider({ project }),
  swarm: (project) => createSwarmProvider({ project }),
};

/** The provider for an environment, from its adapter, scoped to the project of this run (project.ts). */
export function providerFor(eco: Ecosystem, environment: string): Provider {
  const env = eco.environments.get(environment);
  if (!env) throw new ProviderError(`environment "${environment}" does not exist`, `pick one of: ${[...eco.environments.keys()].join(', ')}`);
  const adapter = eco.adapters.get(env.manifest.spec.adapter);
  if (!adapter) throw new ProviderError(`environment ${environment} uses adapter "${env.manifest.spec.adapter}", which does not exist`, 'run mnops validate');
  const make = PROVIDERS[adapter.manifest.spec.provider];
  if (!make) {
    throw new ProviderError(
      `environment ${environment} runs on ${adapter.manifest.spec.provider} (adapter ${adapter.name}), which mnops cannot reconcile yet`,
      'only docker and swarm adapters are executed; cloud adapters are validated for contract coverage only',
    );
  }
  return make(projectOf(eco));
}
