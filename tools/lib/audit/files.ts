// Reading the trail. Records come only from the day files (records/YYYY/MM/DD.jsonl) — the
// signed records themselves — never from commit messages, which say whatever whoever made
// the commit typed. History is read as what each commit changed in those files.
import { git, gitBytes, gitRun } from './plumbing.js';
import { DAY_FILE, isAuditRecord, type AuditRecord } from './record.js';

export function parseRecordLine(text: string): AuditRecord | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return isAuditRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The day files of a commit, oldest day first. */
export async function dayFilesAt(cwd: string, commit: string): Promise<string[]> {
  const out = await git(cwd, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', commit, '--', 'records/']);
  return out
    .split('\0')
    .filter((f) => DAY_FILE.test(f))
    .sort();
}

/** The lines of some day files of a commit, in one `cat-file --batch`. */
export async function linesOf(cwd: string, commit: string, files: readonly string[]): Promise<{ file: string; text: string }[]> {
  if (files.length === 0) return [];
  const out = await gitBytes(cwd, ['cat-file', '--batch'], files.map((f) => `${commit}:${f}\n`).join(''));
  const lines: { file: string; text: string }[] = [];
  let at = 0;
  for (const file of files) {
    const eol = out.indexOf(0x0a, at);
    const header = out.subarray(at, eol).toString('utf8');
    at = eol + 1;
    const m = / blob (\d+)$/.exec(header);
    if (!m) continue; // missing
    const size = Number(m[1]);
    const text = out.subarray(at, at + size).toString('utf8');
    at += size + 1;
    for (const line of text.split('\n')) if (line !== '') lines.push({ file, text: line });
  }
  return lines;
}

/** Every record of the day files at `commit`, by seq (unverified: verify checks them). */
export async function recordsAt(cwd: string, commit: string, files?: readonly string[]): Promise<AuditRecord[]> {
  const lines = await linesOf(cwd, commit, files ?? (await dayFilesAt(cwd, commit)));
  return lines
    .map((l) => parseRecordLine(l.text))
    .filter((r): r is AuditRecord => r !== undefined)
    .sort((a, b) => a.seq - b.seq);
}

/** The records at `tip` whose line holds this id (a retry of an append long after it landed). */
export async function recordsWithId(cwd: string, tip: string, id: string): Promise<AuditRecord[]> {
  // Canonical JSON writes `"id":<id>` verbatim; a lease's nested id can match too, hence the filter.
  const needle = `${JSON.stringify('id')}:${JSON.stringify(id)}`;
  const r = await gitRun(cwd, ['-c', 'grep.lineNumber=false', '-c', 'grep.column=false', 'grep', '-h', '-a', '-F', '-e', needle, tip, '--', 'records/']);
  if (r.code === 1) return [];
  if (r.code !== 0) await git(cwd, ['rev-parse', '--verify', tip]);
  return r.stdout
    .split('\n')
    .map(parseRecordLine)
    .filter((x): x is AuditRecord => x?.id === id);
}

/** What one commit changed: lines added to and removed from day files, and anything else. */
export interface CommitChange {
  commit: string;
  parents: string[];
  added: { file: string; text: string }[];
  removed: { file: string; text: string }[];
  /** Changes that are no line of a day file: other files, modes, binary content, a missing final newline. */
  other: string[];
}

/**
 * The commits `revs` names with their changes against the first parent, in `git log` order.
 * Every option that a user's git config could change is given explicitly.
 */
export async function changesOf(cwd: string, revs: string[], stdin?: string): Promise<CommitChange[]> {
  const out = await git(cwd, [
    'log',
    '--first-parent',
    '--diff-merges=first-parent',
    '--root',
    '--no-show-signature',
    '--no-notes',
    '--format=%x1e%H %P',
    '-p',
    '--unified=0',
    '--text',
    '--no-renames',
    '--no-ext-diff',
    '--no-textconv',
    '--no-color',
    '--no-relative',
    '--src-prefix=a/',
    '--dst-prefix=b/',
    ...revs,
    ...(stdin !== undefined ? ['--stdin'] : []),
    '--',
  ], stdin !== undefined ? { input: stdin } : {});
  const changes: CommitChange[] = [];
  let current: CommitChange | undefined;
  let file: string | undefined;
  let inHunk = false;
  // A file section (from `diff --git`) that changed no line still changed something.
  let section: { hunks: number; noted: boolean } | undefined;
  const closeSection = () => {
    if (current && section && section.hunks === 0 && !section.noted) current.other.push(`${file ?? 'a file'} (changed without a line)`);
    section = undefined;
  };
  for (const line of out.split('\n')) {
    // A line of ours: every line of a diff starts with a marker, never with \x1e.
    if (line.startsWith('\x1e')) {
      closeSection();
      const [commit, ...parents] = line.slice(1).trim().split(' ');
      current = { commit: commit!, parents: parents.filter(Boolean), added: [], removed: [], other: [] };
      changes.push(current);
      file = undefined;
      inHunk = false;
      continue;
    }
    if (!current) continue;
    if (line.startsWith('diff --git ')) {
      closeSection();
      section = { hunks: 0, noted: false };
      file = undefined;
      inHunk = false;
      continue;
    }
    if (inHunk) {
      if (line.startsWith('+')) current.added.push({ file: file ?? '?', text: line.slice(1) });
      else if (line.startsWith('-')) current.removed.push({ file: file ?? '?', text: line.slice(1) });
      else if (line.startsWith('\\')) current.other.push(`${file ?? '?'} has no final newline`);
      continue;
    }
    if (line.startsWith('@@')) {
      inHunk = true;
      if (section) section.hunks++;
      if (!file || !DAY_FILE.test(file)) current.other.push(file ?? 'a file');
      continue;
    }
    if (line.startsWith('+++ ') || line.startsWith('--- ')) {
      const name = line.slice(4);
      if (name !== '/dev/null') file = name.replace(/^[ab]\//, '');
      continue;
    }
    if (/^(new file mode|deleted file mode|new mode|old mode) /.test(line)) {
      if (!line.endsWith(' 100644')) {
        current.other.push(`a file's mode (${line})`);
        if (section) section.noted = true;
      }
      continue;
    }
    if (line.startsWith('Binary files ')) {
      current.other.push(line);
      if (section) section.noted = true;
    }
  }
  closeSection();
  return changes;
}

/** The record a commit adds, when it adds exactly one line to a day file and changes nothing else. */
export function addedRecord(c: CommitChange): AuditRecord | undefined {
  if (c.added.length !== 1 || c.removed.length > 0 || c.other.length > 0 || c.parents.length > 1) return undefined;
  return parseRecordLine(c.added[0]!.text);
}
