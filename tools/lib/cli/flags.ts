// The CLI's shared flags: numeric and duration options parsed by the rules of numbers.ts when
// the line is read (a bad value stops the run before anything runs), and the target environment.
import { Option } from 'commander';
import { UsageError } from '../repo/errors.js';
import { parseNumber, type NumberKind } from './numbers.js';

/**
 * A commander option whose value is parsed as `kind` (durations become milliseconds).
 * The default is written as a user would type it and parsed by the same rules, so the help
 * shows it as typed and the command receives it parsed.
 */
export function numberOption(flags: string, description: string, kind: NumberKind, defaultValue?: string): Option {
  const option = new Option(flags, description);
  const flag = option.long ?? flags;
  option.argParser((raw: string) => parseNumber(flag, raw, kind));
  if (defaultValue !== undefined) option.default(parseNumber(flag, defaultValue, kind), defaultValue);
  return option;
}

/**
 * `deploy --env ENV`, or `--to ENV` as its alias (the older spelling). Neither is a commander
 * required option, so the one-of rule is checked here: missing or contradicting is exit 2.
 */
export function targetEnvironment(command: string, flags: { env?: string; to?: string }): string {
  if (flags.env !== undefined && flags.to !== undefined && flags.env !== flags.to) {
    throw new UsageError(`${command}: --env ${flags.env} and --to ${flags.to} name different environments (--to is an alias of --env)`, 'give one of them');
  }
  const env = flags.env ?? flags.to;
  if (env === undefined) throw new UsageError(`${command} needs the target environment: --env <env> is required`, `add --env <env> (or its alias --to <env>)`);
  return env;
}
