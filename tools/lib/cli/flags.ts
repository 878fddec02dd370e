// The CLI's numeric and duration flags: commander options parsed by the rules of numbers.ts
// when the line is read, so a bad value stops the run before anything runs.
import { Option } from 'commander';
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
