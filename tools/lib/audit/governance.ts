// Who may sign the trail: `spec.audit` of the governance settings, read from git objects of
// a trusted ref — the remote's default branch (`<remote>/HEAD`) when the clone knows it,
// else HEAD — never from the working tree, so adding a signer goes through review there.
import { buildEcosystem, SETTINGS_FILE } from '../manifest/ecosystem.js';
import { DEFAULT_LIMITS, parseManifestBytes } from '../manifest/load.js';
import { commitTree } from '../repo/git-tree.js';
import { UsageError } from '../repo/errors.js';
import { resolveRef } from './plumbing.js';
import { AUDIT_ACTIONS } from './record.js';
import { keyIdOf, parsePublicKey, type SigningKey } from './signing.js';
import type { KeyObject } from 'node:crypto';

export interface AuditSigner {
  name: string;
  keyId: string;
  publicKey: KeyObject;
  /** The last seq this key may sign. */
  until?: number;
  /** The only actions this key may sign. */
  actions?: string[];
}

export interface AuditGovernance {
  /** Empty: the trail is not governed by signatures. */
  signers: AuditSigner[];
  /** First seq that must be signed once signers are listed. */
  signedFrom: number;
  /** Where the settings were read, e.g. `origin/HEAD (1a2b3c4d5e6f)`. */
  source: string;
}

/** The ref signers are read from: `--governance-ref`, else `<remote>/HEAD`, else HEAD. */
export async function governanceRef(root: string, remote: string | undefined, explicit?: string): Promise<string> {
  if (explicit) return explicit;
  if (remote) {
    const head = `refs/remotes/${remote}/HEAD`;
    if (await resolveRef(root, head)) return `${remote}/HEAD`;
  }
  return 'HEAD';
}

export async function auditGovernanceAt(root: string, ref: string): Promise<AuditGovernance> {
  const none = (source: string): AuditGovernance => ({ signers: [], signedFrom: 1, source });
  // An unborn HEAD (a repository without commits, e.g. a fresh trail-only clone) holds no settings.
  if (!(await resolveRef(root, ref))) {
    if (ref === 'HEAD') return none('HEAD (no commit yet)');
    throw new UsageError(`the governance ref "${ref}" does not exist in ${root}`, 'fetch it, or pass --governance-ref with a ref that holds the settings');
  }
  const tree = await commitTree(root, ref);
  const source = `${ref} (${tree.commit.slice(0, 12)})`;
  const bytes = await tree.read(SETTINGS_FILE);
  if (!bytes) return none(source);
  const { ecosystem, findings } = buildEcosystem(root, [{ file: SETTINGS_FILE, content: parseManifestBytes(bytes, DEFAULT_LIMITS) }]);
  const broken = findings.find((f) => f.severity === 'error');
  if (broken) throw new UsageError(`the audit signers cannot be read: ${SETTINGS_FILE}:${broken.line} at ${source}: ${broken.message}`, `fix ${SETTINGS_FILE} on that ref`);
  const audit = [...ecosystem.settings.values()][0]?.manifest.spec.audit;
  const signers: AuditSigner[] = [];
  for (const [i, s] of (audit?.signers ?? []).entries()) {
    const publicKey = parsePublicKey(s.publicKey, `${SETTINGS_FILE} spec.audit.signers[${i}].publicKey (${s.name}) at ${source}`);
    const keyId = keyIdOf(publicKey);
    const twin = signers.find((o) => o.keyId === keyId || o.name === s.name);
    if (twin) throw new UsageError(`${SETTINGS_FILE} at ${source} lists the audit signer ${twin.name} twice (by name or key)`, 'list each signer and key once; retire a key with until');
    const unknown = (s.actions ?? []).find((a) => !(AUDIT_ACTIONS as readonly string[]).includes(a));
    if (unknown) throw new UsageError(`${SETTINGS_FILE} at ${source}: the audit signer ${s.name} lists "${unknown}", which is no audit action`, `use some of: ${AUDIT_ACTIONS.join(', ')}`);
    signers.push({ name: s.name, keyId, publicKey, ...(s.until !== undefined ? { until: s.until } : {}), ...(s.actions ? { actions: s.actions } : {}) });
  }
  return { signers, signedFrom: audit?.signedFrom ?? 1, source };
}

/** The listed signer with this key id, if any. */
export function signerFor(governance: AuditGovernance, keyId: string): AuditSigner | undefined {
  return governance.signers.find((s) => s.keyId === keyId);
}

/** Why this signer may not sign a record of this seq and action, or undefined when it may. */
export function signerRefusal(signer: AuditSigner, seq: number, action: string): string | undefined {
  if (signer.until !== undefined && seq > signer.until) return `${signer.name} may sign only up to #${signer.until} (the key was retired)`;
  if (signer.actions && !signer.actions.includes(action)) return `${signer.name} may sign only ${signer.actions.join(', ')}`;
  return undefined;
}

/**
 * A writer of a governed trail must sign, with a listed key: an unsigned record there would
 * stand in the trail as a forgery forever. Checked before anything is written.
 */
export function checkWriter(governance: AuditGovernance, key: SigningKey | undefined, nextSeq: number, action: string): void {
  if (governance.signers.length === 0) return;
  const names = governance.signers.map((s) => s.name).join(', ');
  if (!key) {
    throw new UsageError(
      `the audit trail is signed (signers ${names} in ${SETTINGS_FILE} at ${governance.source}) but MNOPS_AUDIT_KEY is not set: nothing was recorded`,
      'run where the signing key is (the MNOPS_AUDIT_KEY secret of the workflow), or set it to a listed signer’s private key',
    );
  }
  const signer = signerFor(governance, key.keyId);
  const refusal = signer ? signerRefusal(signer, nextSeq, action) : 'it is not a listed audit signer';
  if (refusal) {
    throw new UsageError(
      `MNOPS_AUDIT_KEY (key ${key.keyId}) cannot sign this ${action} record: ${refusal} in ${SETTINGS_FILE} at ${governance.source}; nothing was recorded`,
      signer ? 'run it where a key that may sign it is' : `use a listed signer’s key (${names}), or add this public key through a reviewed change: ${key.publicKey}`,
    );
  }
}
