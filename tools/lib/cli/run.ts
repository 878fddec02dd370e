// The CLI shell: commander program, one registration per command, and the single place
// where errors become exit codes and one clear sentence (a stack only with --debug).
import { Command, CommanderError, Help, type Option } from 'commander';
import pc from 'picocolors';
import { MnopsError } from '../repo/errors.js';
import { redact } from '../secrets/index.js';
import { EXIT } from './context.js';
import { COMMANDS } from './commands/index.js';
import { TOOL_VERSION } from '../version.js';

export async function runCli(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  let exitCode: number = EXIT.OK;
  const program = new Command('mnops')
    .description('GitOps governance and policy-as-code for platform manifests')
    .version(TOOL_VERSION)
    .option('--debug', 'show stack traces for unexpected errors')
    // Program options only before the command: otherwise the program's --version shadows
    // `deploy --version V` (it printed the tool version and exited 0 without deploying).
    .enablePositionalOptions()
    .showHelpAfterError('(run mnops --help for usage)')
    .exitOverride()
    // Inherited by every command: a required option says so in its help.
    .configureHelp({ optionDescription: (option: Option) => `${Help.prototype.optionDescription.call(new Help(), option)}${option.mandatory ? ' (required)' : ''}` })
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of COMMANDS) {
    register(program, (code) => {
      exitCode = code;
    });
  }
  try {
    // --debug works anywhere on the line (read above), so commands need not declare it.
    await program.parseAsync(argv.filter((a) => a !== '--debug'), { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
      return EXIT.FAILED;
    }
    const red = pc.createColors(Boolean(process.stderr.isTTY) && !process.env.NO_COLOR).red;
    // An error may quote an engine or a health check: redacted like every other output.
    const say = (text: string) => process.stderr.write(`${redact(text)}\n`);
    if (err instanceof MnopsError) {
      say(`${red('mnops:')} ${err.message}`);
      if (err.hint) say(`  ${err.hint}`);
      if (debug) say(err.stack ?? '');
      return EXIT.FAILED;
    }
    const e = err as Error;
    say(`${red('mnops:')} unexpected error: ${e?.message ?? String(err)}`);
    say(debug ? (e?.stack ?? '') : '  run again with --debug for details, and report it if it persists');
    return EXIT.FAILED;
  }
}
