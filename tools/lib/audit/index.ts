// The audit capability's public surface.
export { AuditTrail, DEFAULT_BRANCH, CHECKPOINT_PREFIX, type AppendResult, type ChainedRecord, type TrailOptions } from './trail.js';
export { AUDIT_ACTIONS, canonicalJson, hashRecord, type AuditAction, type AuditEntry, type AuditOutcome, type AuditRecord, type ExceptionUse, type Inventory, type LeaseInfo } from './record.js';
export { verifyTrail, type ChainBreak, type VerifyReport } from './verify.js';
export { acquireLease, breakLease, currentLease, releaseLease, MAX_LEASE_MS, type AcquireResult } from './lease.js';
