// `audit lock acquire|release|break --dry-run`: what the command would do to the lease on an
// environment, read from the trail as it stands; nothing is appended.
import { currentLease, type AuditTrail } from '../audit/index.js';
import { escapeControlChars } from '../report/formats/text.js';

export type LeaseVerb = 'acquire' | 'release' | 'break';

export async function leaseDryRun(trail: AuditTrail, verb: LeaseVerb, req: { environment: string; holder: string; leaseId?: string }): Promise<string> {
  // As the commands judge it: acquire against the clock, release and break any lease not yet ended.
  const live = currentLease(await trail.records(), req.environment, verb === 'acquire' ? new Date() : new Date(0));
  const held = live ? `${req.environment} is held by ${escapeControlChars(live.holder)} (lease ${live.id}) until ${live.expiresAt}` : `${req.environment} is free`;
  let would: string;
  if (verb === 'acquire') would = live ? 'acquire would be refused (exit 1)' : `acquire would take it for ${escapeControlChars(req.holder)}`;
  else if (!live || live.id !== req.leaseId) would = `${verb} would fail: lease ${escapeControlChars(req.leaseId ?? '')} is not the live lease`;
  else would = `${verb} would free it`;
  return `dry run: ${held}; ${would}; nothing was changed\n`;
}
