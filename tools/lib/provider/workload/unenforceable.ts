// The part of the unenforceable report every engine shares: disk without a read-only root,
// threads under the pids limit, the network's ports and rules, and http-only that publishes.
// Each engine adds what only it lacks, in its own words.
import type { DesiredWorkload, Unenforceable } from '../types.js';
import { maxThreadsReport } from './limits.js';
import { networkReport, type NetworkIntent } from './network.js';

/** How an engine words the limits every engine here shares. */
export interface EngineWords {
  /** Why it has no per-workload disk quota. */
  diskQuota: string;
  /** Why http-only with a host port still routes out. */
  publishRoutesOut: string;
}

export function sharedReport(d: DesiredWorkload, net: NetworkIntent, words: EngineWords): Unenforceable[] {
  const out: Unenforceable[] = [];
  if (d.resources.diskMb !== undefined && d.sandbox.readOnlyRootfs !== true) {
    out.push({ platform: d.platform, field: 'resources.diskMb', reason: `${words.diskQuota}; only a read-only root (writes confined to a /tmp tmpfs of diskMb) bounds it` });
  }
  const threads = maxThreadsReport(d);
  if (threads) out.push(threads);
  if (net.policy === 'http-only' && net.publish) {
    out.push({ platform: d.platform, field: 'network.policy', reason: `http-only with a host port: ${words.publishRoutesOut}, so outbound traffic is not blocked` });
  }
  out.push(...networkReport(d, net));
  return out;
}

/** The report's order on every engine: resources, sandbox, network policy, ports, secrets, rules. */
const ORDER = [/^resources\./, /^sandbox\./, /^network\.policy$/, /^ports\./, /^secrets\./, /^network\.rules/];

export function inReportOrder(report: Unenforceable[]): Unenforceable[] {
  const rank = (u: Unenforceable) => {
    const i = ORDER.findIndex((re) => re.test(u.field));
    return i < 0 ? ORDER.length : i;
  };
  return report.map((u, i) => ({ u, i })).sort((a, b) => rank(a.u) - rank(b.u) || a.i - b.i).map(({ u }) => u);
}
