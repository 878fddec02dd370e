// Network intent, the same on every engine: which policy a workload runs under, whether it
// publishes, and which declared rules that already implies. No engine here has a per-port or
// per-CIDR firewall, so a rule holds only when the policy itself implies it.
import type { Static } from '@sinclair/typebox';
import type { NetworkPolicyName } from '../../manifest/kinds.js';
import type { DesiredWorkload, Unenforceable } from '../types.js';

export type NetworkPolicy = Static<typeof NetworkPolicyName>;
export type NetworkRule = NonNullable<DesiredWorkload['network']['rules']>[number];

/** What an engine's network plan decided, as far as the rules care. */
export interface NetworkIntent {
  policy: NetworkPolicy;
  /** Declared host ports are published. */
  publish: boolean;
}

export function policyOf(d: Pick<DesiredWorkload, 'network'>): NetworkPolicy {
  return d.network.policy ?? 'no-network';
}

export function hasHostPort(d: Pick<DesiredWorkload, 'ports'>): boolean {
  return d.ports.some((p) => p.hostPort !== undefined);
}

/** No route out: no network at all, or only the internal one (nothing published). */
function noEgress(net: NetworkIntent): boolean {
  return net.policy === 'no-network' || (net.policy === 'http-only' && !net.publish);
}

/** A rule holds only when the network plan already implies it. */
export function ruleEnforced(rule: NetworkRule, d: Pick<DesiredWorkload, 'ports'>, net: NetworkIntent): boolean {
  const anywhere = rule.cidr === '0.0.0.0/0' || rule.cidr === '::/0';
  if (rule.action === 'deny') return rule.direction === 'egress' ? noEgress(net) : net.policy === 'no-network';
  if (rule.direction === 'ingress') {
    return anywhere && net.publish && d.ports.some((p) => p.hostPort !== undefined && p.containerPort === rule.port && (p.protocol ?? 'tcp') === rule.protocol);
  }
  // Egress anywhere: whatever routes out allows it.
  return anywhere && (net.policy === 'allow-all' || net.policy === 'egress-only');
}

/** The declared settings of the network no engine enforces under this plan. */
export function networkReport(d: DesiredWorkload, net: NetworkIntent): Unenforceable[] {
  const out: Unenforceable[] = [];
  const add = (field: string, reason: string) => out.push({ platform: d.platform, field, reason });
  for (const p of d.ports) {
    if (net.policy === 'no-network') add(`ports.${p.name}`, 'no-network gives the workload no interface another one reaches: the port is unreachable and not published');
    else if (net.policy === 'egress-only') add(`ports.${p.name}`, 'egress-only accepts no ingress: the port is not published');
  }
  (d.network.rules ?? []).forEach((rule, i) => {
    if (!ruleEnforced(rule, d, net)) {
      add(`network.rules[${i}]`, `${rule.action} ${rule.direction} ${rule.protocol}/${rule.port} ${rule.cidr}: the engine has no per-port or per-CIDR firewall`);
    }
  });
  return out;
}
