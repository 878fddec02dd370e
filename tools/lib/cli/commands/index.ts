// Every CLI command, registered in one place (Renovate-style registry).
import type { Command } from 'commander';
import type { ExitCode } from '../context.js';
import { registerValidate } from './validate.js';
import { registerRegistry } from './registry.js';
import { registerPolicy } from './policy.js';
import { registerAudit } from './audit.js';
import { registerReconcile, registerTeardown } from './reconcile.js';
import { registerDeploy } from './deploy.js';
import { registerDrift } from './drift.js';
import { registerInit, registerNew } from './scaffold.js';
import { registerRules } from './rules.js';
import { registerCompletion } from './completion.js';

/** A command adds itself to the program and reports its exit code through `setExit`. */
export type RegisterCommand = (program: Command, setExit: (code: ExitCode) => void) => void;

export const COMMANDS: RegisterCommand[] = [registerValidate, registerRegistry, registerPolicy, registerAudit, registerReconcile, registerTeardown, registerDeploy, registerDrift, registerInit, registerNew, registerRules, registerCompletion];
