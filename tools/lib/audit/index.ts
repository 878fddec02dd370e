// The audit capability's public surface.
export { AuditTrail, DEFAULT_BRANCH, CHECKPOINT_PREFIX, type AppendResult, type Checkpoint, type MovedCheckpoint, type TrailOptions } from './trail.js';
export { AUDIT_ACTIONS, AUDIT_OUTCOMES, AuditFieldError, hashRecord, type AuditAction, type AuditEntry, type AuditOutcome, type AuditRecord, type AuditSignature, type ExceptionUse, type Inventory, type LeaseInfo } from './record.js';
export { tipBreaks, trustedRecords, verifyTrail, TrailBrokenError, type BreakKind, type ChainBreak, type ExternalHead, type VerifyOptions, type VerifyReport } from './verify.js';
export type { ChainedRecord } from './checks.js';
export { acquireLease, breakLease, currentLease, releaseLease, MAX_LEASE_MS, type AcquireResult } from './lease.js';
export { runnerIdentity, type RunnerIdentity } from './identity.js';
export { generateSigningKey, KEY_ENV, parseSigningKey, type SigningKey } from './signing.js';
export type { AuditGovernance, AuditSigner } from './governance.js';
