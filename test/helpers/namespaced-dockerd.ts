// One dockerd as a machine of its own for tests: inside a network namespace the test made,
// as the init of its own PID namespace (unshare --pid --fork --kill-child), in a private
// mount and UTS namespace. SIGKILL to that init takes down the daemon, containerd, the shims
// and every container at once — the loss of a machine — and leaves no process behind. Its
// mounts (overlay2 layers, network namespaces of the tasks) live in the private mount
// namespace and vanish with it; destroy() still checks the host's mount table and unmounts
// anything under the run's folder. The network namespace is entered with nsenter, not
// `ip netns exec`: that one remounts /sys, which drops the cgroup v1 mounts under it, and
// dockerd then refuses to start ("Devices cgroup isn't mounted").
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A dockerd in a network namespace of its own. */
export interface DaemonNode {
  /** Names its folder under the run's folder and its messages. */
  role: string;
  hostname: string;
  netns: string;
  socket: string;
  dataRoot: string;
  /** A client bound to `socket`. */
  docker: Docker;
  /** The `unshare` process; its child is the daemon, init of the node's PID namespace. */
  proc?: ChildProcess;
  /** Host pid of that init (the dockerd). */
  initPid?: number;
}

export function stderrOf(err: unknown): string {
  const e = err as { stderr?: Buffer | string; message?: string };
  return String(e.stderr ?? '').trim() || String(e.message ?? err);
}

/** Runs a command, its trimmed stdout (stderr in the error when it fails). */
export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** What a run's folder records (run.json) for the sweep: who owns it, which namespaces it made. */
export interface RunState {
  owner: number;
  netns: string[];
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Host pids whose command line names `dir` (daemons, containerd and shims of a run). */
export function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Mount points under `dir` as the host sees them, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** What a run left on the machine: all empty after destroy(). */
export function leftovers(dir: string, netns: readonly string[]): { processes: number[]; mounts: string[]; netns: string[]; dir: boolean } {
  const listed = sh('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '');
  return { processes: processesUnder(dir), mounts: mountsUnder(dir), netns: netns.filter((n) => listed.includes(n)), dir: existsSync(dir) };
}

/** Kills what a run started, unmounts, deletes its namespaces (and so its veths) and folder. */
export async function destroy(dir: string, netns: readonly string[], inits: number[]): Promise<void> {
  const kill = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  };
  inits.forEach(kill);
  // The inits' exits reap their namespaces; anything else naming the folder (a daemon that
  // never became an init, a crashed run's shims) is killed by pid too.
  for (let i = 0; i < 100; i++) {
    const left = [...inits.filter(pidAlive), ...processesUnder(dir)];
    if (left.length === 0) break;
    if (i % 10 === 9) processesUnder(dir).forEach(kill);
    await sleep(100);
  }
  for (const m of mountsUnder(dir)) {
    try {
      execFileSync('umount', ['-R', m], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    }
  }
  for (const n of netns) {
    try {
      execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
    } catch {
      // never created, or already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Cleans up after earlier runs whose test process died before its afterAll. */
export async function sweepCrashedRuns(prefix: string): Promise<void> {
  for (const entry of readdirSync(os.tmpdir())) {
    if (!entry.startsWith(prefix)) continue;
    const dir = path.join(os.tmpdir(), entry);
    let state: RunState;
    try {
      state = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunState;
    } catch {
      continue;
    }
    if (!pidAlive(state.owner)) await destroy(dir, state.netns, []);
  }
}

/** Starts dockerd for `node` as the init of its own PID, mount and UTS namespaces inside its netns; `dir` is the run's folder. */
export async function startDaemon(node: DaemonNode, dir: string): Promise<void> {
  const nodeDir = path.join(dir, node.role);
  mkdirSync(nodeDir, { recursive: true });
  const log = openSync(path.join(nodeDir, 'dockerd.log'), 'a');
  const args = [
    `--net=/run/netns/${node.netns}`,
    'unshare', '--pid', '--fork', '--kill-child', '--mount-proc', '--uts',
    'sh', '-c', 'hostname "$0" && exec dockerd "$@"', node.hostname,
    '--data-root', node.dataRoot,
    '--exec-root', path.join(nodeDir, 'exec'),
    '--pidfile', path.join(nodeDir, 'dockerd.pid'),
    '-H', `unix://${node.socket}`,
    // Swarm tasks use overlays and docker_gwbridge; the default bridge is not needed.
    '--bridge=none',
    '--shutdown-timeout', '1',
  ];
  const proc = spawn('nsenter', args, { stdio: ['ignore', log, log] });
  closeSync(log);
  node.proc = proc;
  let exited = false;
  proc.once('exit', () => (exited = true));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`dockerd for the ${node.role} exited at start; its log: ${tail(path.join(nodeDir, 'dockerd.log'))}`);
    try {
      await node.docker.ping();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`dockerd for the ${node.role} did not answer on ${node.socket} within 30 s; its log: ${tail(path.join(nodeDir, 'dockerd.log'))}`);
      await sleep(200);
    }
  }
  const children = readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  node.initPid = Number(children[0]);
  if (!node.initPid) throw new Error(`cannot find the init of the ${node.role}'s PID namespace under pid ${proc.pid}`);
}

export function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

