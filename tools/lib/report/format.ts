// One formatter per file (conftest's Outputter): each turns a Report into text.
import type { Report } from './finding.js';

export interface FormatOptions {
  /** Colour the output (only on a TTY, never with NO_COLOR). */
  color: boolean;
  /** Text: list the findings folded under their cause, not just their count. */
  verbose?: boolean;
}

export interface FormatResult {
  /** What goes to stdout or --output. */
  output: string;
  /** Extra markdown for the GitHub job summary (github format only). */
  jobSummary?: string;
}

export type Formatter = (report: Report, options: FormatOptions) => FormatResult;
