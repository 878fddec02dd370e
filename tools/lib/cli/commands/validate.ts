// mnops validate [PATH...] — check manifests against schemas, references and policies.
import { appendFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { FORMAT_NAMES, FORMATTERS, type FormatName } from '../../report/index.js';
import { validate } from '../../validate/validate.js';
import { proposedChangeMarkdown, proposedChangeText } from '../../report/proposed.js';
import { EXIT, OUTPUT_HELP, rootFromOption, writeReport } from '../context.js';
import type { RegisterCommand } from './index.js';
import { UsageError } from '../../repo/errors.js';

interface ValidateFlags {
  root?: string;
  changedSince?: string;
  policyRef?: string;
  trustWorkingTree?: boolean;
  format: FormatName;
  output?: string;
  failOn: 'error' | 'warning';
  cache: boolean;
  now?: string;
  verbose?: boolean;
}

/** The time policies judge against: --now, else $MNOPS_NOW (reproducible CI runs), else the clock. */
function evaluationTime(flag: string | undefined): Date {
  const raw = flag ?? process.env.MNOPS_NOW;
  if (!raw) return new Date();
  const t = new Date(raw);
  if (Number.isNaN(t.getTime())) throw new UsageError(`--now "${raw}" is not a valid time`, 'use an RFC 3339 time such as 2026-11-23T12:00:00Z');
  return t;
}

export const registerValidate: RegisterCommand = (program: Command, setExit) => {
  program
    .command('validate')
    .description('check manifests against their schemas, references and policies')
    .argument('[paths...]', 'report only findings in these files or folders')
    .option('--root <dir>', 'repository root (default: git top level)')
    .option('--changed-since <ref>', 'report only what the change since this git ref affects, judged by that ref\'s policies, settings and exceptions')
    .option('--policy-ref <ref>', 'judge by the policies, settings and exceptions of this ref instead (a trusted branch)')
    .option('--trust-working-tree', 'judge by the working tree\'s own policies even with --changed-since (authoring policies locally)')
    .addOption(new Option('--format <format>', 'output format').choices(FORMAT_NAMES).default('text'))
    .option('--output <file>', OUTPUT_HELP)
    .addOption(new Option('--fail-on <severity>', 'lowest severity that fails the run').choices(['error', 'warning']).default('error'))
    .option('--no-cache', 'do not read or write the parse cache')
    .option('--now <time>', 'judge expiry (ttl, exceptions) as of this RFC 3339 time (default: $MNOPS_NOW or now)')
    .option('--verbose', 'text format: list the findings folded under the error that caused them')
    .action(async (paths: string[], flags: ValidateFlags) => {
      const root = await rootFromOption(flags.root);
      const outcome = await validate({
        root,
        paths,
        changedSince: flags.changedSince,
        ...(flags.policyRef ? { policyRef: flags.policyRef } : {}),
        ...(flags.trustWorkingTree ? { trustWorkingTree: true } : {}),
        now: evaluationTime(flags.now),
        ...(flags.cache ? {} : { cacheDir: false as const }),
      });
      const { report } = outcome;
      let jobSummary: string | undefined;
      await writeReport(flags.output, (color) => {
        const formatted = FORMATTERS[flags.format](report, { color, verbose: flags.verbose ?? false });
        jobSummary = formatted.jobSummary;
        if (flags.format === 'text') return formatted.output + proposedChangeText(report);
        if (flags.format === 'markdown') return formatted.output + proposedChangeMarkdown(report);
        return formatted.output;
      });
      if (jobSummary && process.env.GITHUB_STEP_SUMMARY) {
        await appendFile(process.env.GITHUB_STEP_SUMMARY, jobSummary);
      }
      const failing = report.summary.errors + (flags.failOn === 'warning' ? report.summary.warnings : 0);
      setExit(failing > 0 ? EXIT.FOUND : EXIT.OK);
    });
};
