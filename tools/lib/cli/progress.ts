// Progress of apply, deploy and drift on stderr (stdout stays the report, clean for --format
// json and pipes): one line per subject (a platform, an environment). On a terminal the lines
// of what is in flight update in place with their elapsed time, and a subject that finishes
// leaves its final line above them for good; piped, under CI or on a dumb terminal, each
// status is one plain line, printed once.
import { redact } from '../secrets/index.js';

/** The part of a stream the board needs (process.stderr, or a test's stand-in). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface Progress {
  /** `subject` is at `status` now (still running: a terminal shows its time ticking). */
  update(subject: string, status: string): void;
  /** `subject` ended at `status`; its time so far is added. */
  finish(subject: string, status: string): void;
  /** `subject` ended and the report says how: its line goes (a terminal), nothing more is printed. */
  done(subject: string): void;
  /** A line about no one subject (e.g. waiting for a lease). */
  note(line: string): void;
  /** Finishes what is still shown as running, as it stands, and stops the clock. */
  end(): void;
}

export interface ProgressOptions {
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** How often a terminal's running times are redrawn; 0 redraws only on changes. */
  tickMs?: number;
}

const CURSOR_UP = (n: number) => `\x1b[${n}A`;
const ERASE_DOWN = '\x1b[J';

/** Updating lines only on a terminal that can take them, and never under CI (logs keep every byte). */
export function liveProgress(stream: ProgressStream, env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return Boolean(stream.isTTY) && !ci && env.TERM !== 'dumb';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export function createProgress(stream: ProgressStream = process.stderr, options: ProgressOptions = {}): Progress {
  const now = options.now ?? (() => performance.now());
  const live = liveProgress(stream, options.env ?? process.env);
  const started = new Map<string, number>();
  const running = new Map<string, string>(); // subject -> status, in the order they started
  const printed = new Map<string, string>(); // the last plain line of each subject: said once
  let width = 0; // the subject column, so statuses line up
  let drawn = 0; // lines of the live area on screen now
  let timer: ReturnType<typeof setInterval> | undefined;

  const since = (subject: string) => seconds(now() - (started.get(subject) ?? now()));
  const line = (subject: string, status: string) => `${subject.padEnd(width)}  ${status}`;
  // A line wider than the terminal wraps, and the cursor would then go up too few lines.
  const fit = (text: string) => {
    const max = Math.max(20, (stream.columns || 80) - 1);
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  };
  const write = (text: string) => stream.write(redact(text));

  const area = (): string => {
    const rows = [...running].map(([s, status]) => fit(line(s, `${status} ${since(s)}`)));
    // Past the terminal's height the cursor cannot reach the top lines: show the latest.
    const room = Math.max(1, (stream.rows || 24) - 2);
    return rows.slice(-room).map((r) => `${r}\n`).join('');
  };
  /** Redraws the live area, with `above` written once above it. */
  const paint = (above = '') => {
    const next = area();
    write(`${drawn ? `${CURSOR_UP(drawn)}\r${ERASE_DOWN}` : ''}${above}${next}`);
    drawn = next ? next.split('\n').length - 1 : 0;
    if (running.size && !timer && options.tickMs !== 0) {
      timer = setInterval(() => paint(), options.tickMs ?? 200);
      timer.unref();
    } else if (!running.size && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const plain = (subject: string, text: string) => {
    if (printed.get(subject) === text) return;
    printed.set(subject, text);
    write(`${line(subject, text)}\n`);
  };
  const track = (subject: string) => {
    if (!started.has(subject)) started.set(subject, now());
    width = Math.max(width, subject.length);
  };

  return {
    update(subject, status) {
      track(subject);
      if (!live) return plain(subject, status);
      if (running.get(subject) === status) return;
      running.set(subject, status);
      paint();
    },
    finish(subject, status) {
      track(subject);
      const text = `${status} ${since(subject)}`;
      started.delete(subject);
      if (!live) return plain(subject, text);
      running.delete(subject);
      paint(`${fit(line(subject, text))}\n`);
    },
    done(subject) {
      started.delete(subject);
      if (live && running.delete(subject)) paint();
    },
    note(text) {
      if (!live) return void write(`${text}\n`);
      paint(`${fit(text)}\n`);
    },
    end() {
      for (const [subject, status] of [...running]) this.finish(subject, status);
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
