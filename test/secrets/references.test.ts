// Secret references outside what an environment allows are refused three times over, on a
// real repository and the real engine: `mnops validate` reports them at the line of the
// reference (secrets.forbidden / secrets.unlisted) with the file to edit; `mnops apply`
// exits 2 naming that line and starts nothing; and desired state, asked directly without
// validation, refuses them before it reads a value or touches the engine.
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DesiredStateError, desiredState } from '../../tools/lib/reconcile/desired.js';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import { validate } from '../../tools/lib/validate/validate.js';
import { git, mnops, removeDir, tempDir } from '../helpers/repo.js';
import { ensureImages, uniqueName } from '../promotion/world.js';
import { SECRET_DIR, SECRET_FILE, SECRET_VAR, PLATFORM_FILE, engineLeftovers, envFile, environmentText, platformText, writeSecret, writeSecretsRepo } from './world.js';

const ENV = uniqueName('sr');
const ENV_FILE = envFile(ENV);
let root = '';

/** What the runner would hold: every referenced variable is set, so only the rules refuse. */
const RUNNER = { [SECRET_VAR]: 'app-signing-value', GITHUB_TOKEN: 'ghs_runnertoken', ACTIONS_RUNTIME_TOKEN: 'runtime', INPUT_TOKEN: 'input', OTHER_TEAM_SECRET: 'other' };

interface Case {
  what: string;
  /** Extra references of the platform (YAML flow mappings). */
  refs: string[];
  /** Replacements of the environment's spec.secretSources lists. */
  sources?: { env?: string; files?: string };
  /** Files the case needs beside the manifests (symlinks). */
  setup?: (root: string) => void;
  /** Every finding expected: rule, the file and the text whose position it points at (a reference: its `key:`). */
  expect: { ruleId: 'secrets.forbidden' | 'secrets.unlisted'; file: string; at: string; message: RegExp }[];
}

const ref = (name: string, from: string, key: string) => `{name: ${name}, from: ${from}, key: ${key}}`;
const link = (target: string, at: string) => (r: string) => symlinkSync(target, path.join(r, at));

const CASES: Case[] = [
  {
    what: 'GITHUB_TOKEN, even when the environment lists it',
    refs: [ref('GH', 'env', 'GITHUB_TOKEN')],
    sources: { env: `[${SECRET_VAR}, GITHUB_TOKEN]` },
    expect: [
      { ruleId: 'secrets.forbidden', file: PLATFORM_FILE, at: 'key: GITHUB_TOKEN', message: /runner variable GITHUB_TOKEN, a credential or setting of the CI runner itself/ },
      { ruleId: 'secrets.forbidden', file: ENV_FILE, at: 'GITHUB_TOKEN]', message: /lists GITHUB_TOKEN, a credential or setting of the CI runner/ },
    ],
  },
  {
    what: 'ACTIONS_RUNTIME_TOKEN',
    refs: [ref('RT', 'env', 'ACTIONS_RUNTIME_TOKEN')],
    expect: [{ ruleId: 'secrets.forbidden', file: PLATFORM_FILE, at: 'key: ACTIONS_RUNTIME_TOKEN', message: /ACTIONS_RUNTIME_TOKEN, a credential or setting of the CI runner/ }],
  },
  {
    what: 'INPUT_TOKEN (how an action receives its token)',
    refs: [ref('IT', 'env', 'INPUT_TOKEN')],
    expect: [{ ruleId: 'secrets.forbidden', file: PLATFORM_FILE, at: 'key: INPUT_TOKEN', message: /INPUT_TOKEN, a credential or setting of the CI runner/ }],
  },
  {
    what: 'a runner variable the environment does not list',
    refs: [ref('OTHER', 'env', 'OTHER_TEAM_SECRET')],
    expect: [{ ruleId: 'secrets.unlisted', file: PLATFORM_FILE, at: 'key: OTHER_TEAM_SECRET', message: new RegExp(`OTHER_TEAM_SECRET, which ${ENV} does not list in spec.secretSources.env`) }],
  },
  {
    what: '.git/config, where actions/checkout leaves its token',
    refs: [ref('GITCONF', 'file', '.git/config')],
    expect: [{ ruleId: 'secrets.forbidden', file: PLATFORM_FILE, at: 'key: .git/config', message: /file \.git\/config, inside \.git/ }],
  },
  {
    what: 'a symlink in the listed folder pointing out of it',
    refs: [ref('LEAK', 'file', `${SECRET_DIR}/leak`)],
    setup: link('../../registry/namespaces.yaml', `${SECRET_DIR}/leak`),
    expect: [{ ruleId: 'secrets.unlisted', file: PLATFORM_FILE, at: `key: ${SECRET_DIR}/leak`, message: /resolves to registry\/namespaces\.yaml, outside secrets\/app/ }],
  },
  {
    what: 'a symlink in the listed folder pointing into .git',
    refs: [ref('LEAK', 'file', `${SECRET_DIR}/gitconf`)],
    setup: link('../../.git/config', `${SECRET_DIR}/gitconf`),
    expect: [{ ruleId: 'secrets.unlisted', file: PLATFORM_FILE, at: `key: ${SECRET_DIR}/gitconf`, message: /resolves to \.git\/config, inside \.git/ }],
  },
  {
    what: 'a symlink in the listed folder pointing out of the repository',
    refs: [ref('LEAK', 'file', `${SECRET_DIR}/host`)],
    setup: link('/etc/hostname', `${SECRET_DIR}/host`),
    expect: [{ ruleId: 'secrets.unlisted', file: PLATFORM_FILE, at: `key: ${SECRET_DIR}/host`, message: /resolves to \/etc\/hostname, outside the repository/ }],
  },
  {
    what: 'a listed folder that is a symlink out of the repository',
    refs: [ref('LEAK', 'file', 'secrets/linked/hostname')],
    sources: { files: `[${SECRET_DIR}, secrets/linked]` },
    setup: link('/etc', 'secrets/linked'),
    expect: [{ ruleId: 'secrets.unlisted', file: PLATFORM_FILE, at: 'key: secrets/linked/hostname', message: /lies in secrets\/linked, a symlink to \/etc/ }],
  },
];

/** Line and column of `text` in a repository file, as written by the case. */
function positionOf(file: string, text: string): { line: number; column: number } {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(text));
  if (line < 0) throw new Error(`${text} not in ${file}`);
  return { line: line + 1, column: lines[line]!.indexOf(text) + 1 };
}

const write = (file: string, text: string) => writeFileSync(path.join(root, file), text);

function restore(): void {
  git(root, 'checkout', '-q', '--', '.');
  git(root, 'clean', '-qfdx', 'secrets');
  writeSecret(root, 'tls-value');
}

beforeAll(() => {
  ensureImages();
  root = writeSecretsRepo([{ name: ENV, adapter: 'docker' }], 'tls-value');
});

afterAll(() => {
  if (!root) return;
  expect(engineLeftovers(ENV)).toEqual([]);
  removeDir(root);
});

describe('secret references outside the allow-list', () => {
  it('the clean world validates clean and is what the cases break', async () => {
    const r = await mnops(['validate', '--root', root, '--format', 'json']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it.each(CASES)('$what: a validate finding at the reference, apply refused with nothing started, desired state refusing too', async (c) => {
    try {
      write(PLATFORM_FILE, platformText(c.refs));
      let envText = environmentText({ name: ENV, adapter: 'docker' });
      if (c.sources?.env) envText = envText.replace(`env: [${SECRET_VAR}]`, `env: ${c.sources.env}`);
      if (c.sources?.files) envText = envText.replace(`files: [${SECRET_DIR}]`, `files: ${c.sources.files}`);
      write(ENV_FILE, envText);
      c.setup?.(root);

      const validated = await mnops(['validate', '--root', root, '--format', 'json']);
      expect(validated.status, validated.stderr).toBe(1);
      const findings = (JSON.parse(validated.stdout) as { findings: { ruleId: string; file: string; line: number; column: number; message: string; hint: string }[] }).findings.filter(
        (f) => f.ruleId.startsWith('secrets.'),
      );
      expect(findings).toHaveLength(c.expect.length);
      for (const want of c.expect) {
        const at = positionOf(want.file, want.at);
        const got = findings.find((f) => f.file === want.file && f.line === at.line);
        expect(got, `${want.ruleId} at ${want.file}:${at.line} in ${JSON.stringify(findings)}`).toMatchObject({ ruleId: want.ruleId, column: at.column });
        expect(got!.message).toMatch(want.message);
        if (want.ruleId === 'secrets.unlisted' && !/symlink|resolves/.test(got!.message)) expect(got!.hint).toContain(ENV_FILE);
      }
      const applied = await mnops(['apply', '--env', ENV, '--root', root], { env: RUNNER });
      expect(applied.status, applied.stdout + applied.stderr).toBe(2);
      const named = c.expect.map((w) => positionOf(w.file, w.at)).map((at, i) => `${c.expect[i]!.file}:${at.line}:${at.column}`);
      expect(named.some((where) => applied.stderr.includes(where)), `${applied.stderr} names one of ${named.join(', ')}`).toBe(true);
      expect(applied.stderr).toMatch(/nothing was changed/);
      for (const value of Object.values(RUNNER)) expect(applied.stdout + applied.stderr).not.toContain(value);
      expect(engineLeftovers(ENV), 'apply started something').toEqual([]);

      // Defence in depth: resolution refuses on its own, before any value or the engine.
      const { ecosystem } = await loadEcosystem(root, { cacheDir: false });
      const refused = await desiredState(ecosystem, ENV, {
        env: RUNNER,
        root,
        digestKey: () => Promise.reject(new Error('the engine was asked for the key')),
      }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(DesiredStateError);
      expect((refused as Error).message).toMatch(c.expect[0]!.message); // for the same reason, not by luck
      expect((refused as Error).message).toMatch(/nothing was changed/);
      for (const value of Object.values(RUNNER)) expect((refused as Error).message).not.toContain(value);
    } finally {
      restore();
    }
  }, 60_000);

  it('a secret file swapped for a symlink out of the repository, no manifest changed, is found by a run from the last run’s snapshot', async () => {
    const cacheDir = tempDir('mnops-secrets-cache-');
    try {
      const first = await validate({ root, cacheDir });
      expect(first.report.findings.filter((f) => f.ruleId.startsWith('secrets.'))).toEqual([]);
      rmSync(path.join(root, SECRET_FILE));
      symlinkSync('/etc/hostname', path.join(root, SECRET_FILE));
      const second = await validate({ root, cacheDir });
      expect(second.stats.parsed, 'no manifest changed').toBe(0);
      const found = second.report.findings.filter((f) => f.ruleId === 'secrets.unlisted');
      expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/resolves to \/etc\/hostname, outside the repository/)]);
    } finally {
      restore();
      removeDir(cacheDir);
    }
  });
});
