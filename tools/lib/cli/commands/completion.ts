// mnops completion bash|zsh|fish — print a shell completion script for this CLI.
import { Argument, type Command } from 'commander';
import { completionScript, SHELLS, type Shell } from '../completion.js';
import { EXIT, writeStdout } from '../context.js';
import type { RegisterCommand } from './index.js';

export const registerCompletion: RegisterCommand = (program: Command, setExit) => {
  program
    .command('completion')
    .description('print a completion script for bash, zsh or fish (e.g. source <(mnops completion bash))')
    .addArgument(new Argument('<shell>', 'the shell').choices([...SHELLS]))
    .action(async (shell: Shell) => {
      // Every command has registered by the time an action runs: the script covers them all.
      await writeStdout(completionScript(shell, program));
      setExit(EXIT.OK);
    });
};
