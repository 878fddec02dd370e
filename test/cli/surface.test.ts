// The CLI surface, through the real CLI: required options say so in --help and a missing
// one is exit 2 naming it; deploy takes --env with --to as its alias; --output means one
// thing everywhere; the completion script is generated from the program and works in a real
// bash; the actor is git's identity when no runner identity exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleRepo, git, mnops, removeDir, tempDir } from '../helpers/repo.js';
import { uniqueName, writeRepo } from '../promotion/world.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
const keep = <T extends string>(d: T): T => (dirs.push(d), d);

describe('required options', () => {
  it.each([
    ['plan', '--env <name>'],
    ['apply', '--env <name>'],
    ['teardown', '--env <name>'],
    ['rollback', '--env <env>'],
  ])('%s --help marks %s as required, and without it the run is exit 2 naming it', async (command, flag) => {
    const help = await mnops([command, '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`${flag.replace(/[<>]/g, '.')}\\s+environment \\(required\\)`));
    const r = await mnops(command === 'rollback' ? [command, 'p'] : [command]);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`error: required option '${flag}' not specified`);
    expect(r.stdout).toBe('');
  });

  it('deploy --help shows --env as required and --to as its alias', async () => {
    const help = (await mnops(['deploy', '--help'])).stdout;
    expect(help).toMatch(/--env <env>\s+target environment \(required; --to is an alias\)/);
    expect(help).toMatch(/--to <env>\s+alias of --env/);
  });

  it('deploy without --env or --to is exit 2 with one sentence naming --env', async () => {
    const r = await mnops(['deploy', 'demo-platform']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('mnops: deploy needs the target environment: --env <env> is required\n  add --env <env> (or its alias --to <env>)\n');
  });

  it('deploy with --env and --to naming different environments is exit 2', async () => {
    const r = await mnops(['deploy', 'demo-platform', '--env', 'staging', '--to', 'prod']);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('mnops: deploy: --env staging and --to prod name different environments (--to is an alias of --env)');
  });
});

describe('--output means one thing: the report goes to the file instead of stdout', () => {
  it('validate --output writes the report to the file and nothing to stdout', async () => {
    const root = keep(exampleRepo());
    const out = path.join(root, 'reports/validate.txt');
    const r = await mnops(['validate', '--root', root, '--output', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toMatch(/manifests/);
  });

  it('drift --output writes the report to the file and nothing to stdout, as validate does', async () => {
    const env = uniqueName('o');
    const root = keep(writeRepo([{ name: env, version: '1.0.0' }]));
    const out = path.join(root, 'reports/drift.json');
    const r = await mnops(['drift', '--env', env, '--root', root, '--no-record', '--format', 'json', '--output', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ version: 1, skipped: [{ environment: env }] });
  });

  it('every command with --output describes it the same way in --help', async () => {
    for (const command of ['validate', 'drift']) {
      const help = (await mnops([command, '--help'])).stdout.replace(/\s+/g, ' ');
      expect(help, command).toContain('--output <file> write the report to this file (atomically, no colour) instead of stdout');
    }
  });
});

describe('mnops completion', () => {
  const script = async (shell: string) => {
    const r = await mnops(['completion', shell]);
    expect(r.status, r.stderr).toBe(0);
    const file = path.join(keep(tempDir('mnops-completion-')), `mnops.${shell}`);
    writeFileSync(file, r.stdout);
    return file;
  };
  /** What bash offers for the words typed so far (the last one being completed). */
  const complete = (file: string, words: string[]) =>
    execFileSync('bash', ['-c', `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mnops_complete; printf '%s\\n' "\${COMPREPLY[@]}"`, file, 'mnops', ...words], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);

  it('the bash script is valid bash and completes "mnops dep" to deploy', async () => {
    const file = await script('bash');
    expect(spawnSync('bash', ['-n', file]).status).toBe(0);
    expect(complete(file, ['dep'])).toEqual(['deploy']);
  });

  it('bash completes subcommands, options and option values from the program', async () => {
    const file = await script('bash');
    expect(complete(file, ['audit', 'lock', 'a'])).toEqual(['acquire']);
    expect(complete(file, ['plan', '--format', ''])).toEqual(['text', 'json']);
    // The value of --to is not taken for a command: deploy's own options are offered.
    expect(complete(file, ['deploy', '--to', 'list', '--e'])).toEqual(['--env', '--emergency']);
    // A command registered later shows up without editing the script by hand.
    expect(complete(file, ['compl'])).toEqual(['completion']);
  });

  const shell = (name: string) => spawnSync(name, ['--version']).status === 0;
  it.skipIf(!shell('zsh'))('the zsh script is valid zsh and completes "mnops dep" to deploy', async () => {
    const file = await script('zsh');
    const home = tempDir('mnops-zsh-');
    dirs.push(home);
    expect(spawnSync('zsh', ['-n', file]).status).toBe(0);
    // zsh runs the bash function through bashcompinit, whose compgen calls it under `emulate -L sh`.
    const zsh = (words: string[]) =>
      execFileSync('zsh', ['-c', `source "$0"; offers() { emulate -L sh; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mnops_complete; print -l -- "\${COMPREPLY[@]}"; }; offers "$@"`, file, 'mnops', ...words], { encoding: 'utf8', env: { ...process.env, HOME: home } })
        .split('\n')
        .filter(Boolean);
    // Its compgen -W offers every word; zsh's compadd then keeps those the typed prefix starts.
    const typed = (words: string[]) => zsh(words).filter((w) => w.startsWith(words.at(-1)!));
    expect(typed(['dep'])).toEqual(['deploy']);
    expect(typed(['audit', 'lock', 'a'])).toEqual(['acquire']);
    expect(typed(['plan', '--format', ''])).toEqual(['text', 'json']);
  });
  it.skipIf(!shell('fish'))('the fish script is valid fish and completes commands, subcommands and options', async () => {
    const file = await script('fish');
    expect(spawnSync('fish', ['-n', file]).status).toBe(0);
    const fish = (line: string) =>
      execFileSync('fish', ['--no-config', '-c', `source $argv[1]; complete -C "$argv[2]"`, file, line], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]!);
    expect(fish('mnops dep')).toEqual(['deploy']);
    expect(fish('mnops audit lock a')).toEqual(['acquire']);
    expect(fish('mnops deploy --e')).toEqual(expect.arrayContaining(['--env', '--emergency']));
  });

  it('an unknown shell is exit 2 naming the shells there are', async () => {
    const r = await mnops(['completion', 'tcsh']);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("error: command-argument value 'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.");
  });
});

describe('the actor without a runner identity', () => {
  it('is git\'s user.name and user.email, with $USER unset', async () => {
    const root = keep(tempDir('mnops-actor-'));
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'commit', '-q', '--allow-empty', '-m', 'start');
    execFileSync('git', ['config', 'user.name', 'Ada Lovelace'], { cwd: root });
    execFileSync('git', ['config', 'user.email', 'ada@example.com'], { cwd: root });
    const env = { USER: undefined, LOGNAME: undefined, GITHUB_ACTIONS: undefined, GITHUB_ACTOR: undefined, MNOPS_AUDIT_REMOTE: 'none' };
    const a = await mnops(['audit', 'append', '--root', root, '--action', 'promote', '--env', 'dev', '--outcome', 'success'], { env });
    expect(a.status, a.stderr).toBe(0);
    const log = await mnops(['audit', 'log', '--root', root, '--format', 'json'], { env });
    const [record] = JSON.parse(log.stdout) as { actor: string; claimedActor?: string }[];
    expect(record).toMatchObject({ actor: 'Ada Lovelace <ada@example.com>' });
    // The CLI's actor and the trail's writer are the same identity: nothing is "claimed".
    expect(record!.claimedActor).toBeUndefined();
  });
});

describe('audit lock --dry-run', () => {
  it('acquire, release and break say what they would do to the lease and append nothing', async () => {
    const root = keep(tempDir('mnops-lease-'));
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'commit', '-q', '--allow-empty', '-m', 'start');
    const env = { MNOPS_AUDIT_REMOTE: 'none', GITHUB_ACTIONS: undefined };
    const cli = (args: string[]) => mnops([...args, '--root', root], { env });
    const refs = () => git(root, 'for-each-ref', '--format=%(refname) %(objectname)');
    const before = refs();
    const dry = await cli(['audit', 'lock', 'acquire', '--env', 'prod', '--holder', 'ada', '--dry-run']);
    expect(dry.stdout).toBe('dry run: prod is free; acquire would take it for ada; nothing was changed\n');
    expect(refs()).toBe(before);
    const taken = await cli(['audit', 'lock', 'acquire', '--env', 'prod', '--holder', 'ada']);
    const lease = /lease (\S+) on prod/.exec(taken.stdout)![1]!;
    const held = refs();
    const release = await cli(['audit', 'lock', 'release', '--env', 'prod', '--lease', lease, '--dry-run']);
    expect(release.stdout).toMatch(new RegExp(`^dry run: prod is held by ada \\(lease ${lease}\\) until \\S+; release would free it; nothing was changed\\n$`));
    const wrong = await cli(['audit', 'lock', 'break', '--env', 'prod', '--lease', 'nope', '--reason', 'test', '--dry-run']);
    expect(wrong.stdout).toContain('break would fail: lease nope is not the live lease; nothing was changed');
    expect(refs()).toBe(held);
    expect((await cli(['audit', 'lock', 'status', '--env', 'prod'])).stdout).toContain(`prod is held by ada (lease ${lease})`);
  });
});
