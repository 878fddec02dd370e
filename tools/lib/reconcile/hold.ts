// What a plan may not do on its own. Deletion is explicit: nothing is removed without
// --prune, and a large prune of staging or prod needs the exact count confirmed. Versions
// enter staging and prod only through the promotion gate: apply converges everything
// else, but never starts a version the trail does not show the gate admitted.
import type { Inventory } from '../audit/index.js';
import { isGatedTier, type Tier } from '../manifest/kinds.js';
import { UsageError } from '../repo/errors.js';
import type { Plan, PlanAction } from './plan.js';

export const DEFAULT_MAX_PRUNE_PERCENT = 30;

export interface HoldRules {
  tier: Tier;
  /** --prune: deletions may run. */
  prune?: boolean;
  /** --confirm-prune N: the exact number of deletions, needed past maxPrunePercent in staging and prod. */
  confirmPrune?: number;
  maxPrunePercent?: number;
  /** The last recorded inventory of the environment (what mnops owns). */
  inventory?: Inventory;
  /** platform → version the gate admitted; consulted in staging and prod only. */
  admitted?: Map<string, string>;
  /** How the user names the environment in a hint (`--env prod`). */
  environment: string;
}

export class PruneRefused extends UsageError {}

function hold(a: PlanAction, reason: string): PlanAction {
  return { ...a, held: reason };
}

/** The plan with every action apply must not take marked `held`; throws when a prune needs confirming. */
export function holdBack(p: Plan, rules: HoldRules): Plan {
  const env = rules.environment;
  const actions = p.actions.map((a): PlanAction => {
    if (a.kind === 'delete') {
      const owned = rules.inventory ? Object.prototype.hasOwnProperty.call(rules.inventory, a.platform) : false;
      const marked = { ...a, owned };
      if (rules.prune) return marked;
      return hold(marked, owned ? 'no longer declared: deleted only with --prune' : 'never declared by a manifest that loaded: deleted only with --prune');
    }
    if ((a.kind === 'create' || a.kind === 'update') && isGatedTier(rules.tier)) {
      const admitted = rules.admitted?.get(a.platform);
      if (admitted !== a.desired.version) {
        return hold(
          a,
          `version ${a.desired.version} has not been admitted by the promotion gate${admitted ? ` (admitted: ${admitted})` : ''}: bring it with mnops deploy ${a.platform} --to ${env}`,
        );
      }
    }
    return a;
  });

  const deletions = actions.filter((a) => a.kind === 'delete' && !a.held);
  if (deletions.length > 0 && isGatedTier(rules.tier)) {
    const running = new Set([...p.actions.filter((a) => a.kind !== 'create').map((a) => a.platform), ...Object.keys(rules.inventory ?? {})]).size;
    const percent = (deletions.length / Math.max(1, running)) * 100;
    const max = rules.maxPrunePercent ?? DEFAULT_MAX_PRUNE_PERCENT;
    if (percent > max && rules.confirmPrune !== deletions.length) {
      const said = rules.confirmPrune === undefined ? '' : ` (--confirm-prune ${rules.confirmPrune} does not match)`;
      throw new PruneRefused(
        `this prune deletes ${deletions.length} of ${running} platforms in ${env} (${Math.round(percent)}%), more than maxPrunePercent ${max}${said}; nothing was changed`,
        `check the plan (mnops plan --env ${env}), then confirm the count: --prune --confirm-prune ${deletions.length}`,
      );
    }
  }
  // In plan()'s order; held actions stay visible in the plan.
  return { ...p, actions };
}
