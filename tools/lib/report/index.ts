// The report registry: every output format by name, in one place. Adding a format is one
// file under formats/ and one line here.
import type { Formatter } from './format.js';
import { github } from './formats/github.js';
import { json } from './formats/json.js';
import { junit } from './formats/junit.js';
import { markdown } from './formats/markdown.js';
import { sarif } from './formats/sarif.js';
import { text } from './formats/text.js';

export * from './finding.js';
export type { FormatOptions, FormatResult, Formatter } from './format.js';

export const FORMAT_NAMES = ['text', 'json', 'sarif', 'junit', 'github', 'markdown'] as const;

export type FormatName = (typeof FORMAT_NAMES)[number];

export const FORMATTERS: Record<FormatName, Formatter> = { text, json, sarif, junit, github, markdown };

export function isFormatName(value: string): value is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(value);
}
