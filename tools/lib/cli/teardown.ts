// mnops teardown: remove what mnops manages in an environment and record it — or, with
// dryRun, only say what that would remove (the engine and the trail are left as they are).
import { inventoryOf } from '../reconcile/inventory.js';
import { loadEnvironment } from '../reconcile/declaration.js';
import { openTrailIfAny } from '../reconcile/environment.js';
import { secretValues } from '../reconcile/desired.js';
import { providerFor } from '../provider/registry.js';

export async function teardownEnvironment(req: { root: string; environment: string; actor: string; dryRun?: boolean }): Promise<string> {
  const { ecosystem } = await loadEnvironment(req.root, req.environment);
  const provider = providerFor(ecosystem, req.environment);
  await provider.ping();
  if (req.dryRun) {
    const running = await provider.list(req.environment);
    const what = running.map((w) => `  - ${w.platform} ${w.version}\n`).join('');
    return `dry run: teardown would remove ${running.length} workload(s) from ${req.environment} on ${provider.name}, with every secret and network mnops manages there${running.length ? ':' : ''}\n${what}nothing was changed\n`;
  }
  const trail = await openTrailIfAny(req.root, secretValues(ecosystem, { env: process.env }));
  const record = async (outcome: 'success' | 'failure', reason?: string) =>
    trail?.append({ actor: req.actor, action: 'teardown', environment: req.environment, outcome, ...(reason ? { reason } : {}), inventory: inventoryOf(await provider.list(req.environment)) });
  try {
    await provider.teardown(req.environment);
  } catch (err) {
    // What is left is recorded as what mnops still owns there; the error names it (exit 2).
    await record('failure', err instanceof Error ? err.message : String(err));
    throw err;
  }
  // What mnops owns there now is nothing: drift then treats the environment as not applied.
  await record('success');
  return `removed everything mnops manages in ${req.environment}\n`;
}
