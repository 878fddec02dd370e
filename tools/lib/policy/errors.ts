import { MnopsError } from '../repo/errors.js';

/** The policy engine could not give an answer: the run fails closed (exit 2). */
export class PolicyError extends MnopsError {}
