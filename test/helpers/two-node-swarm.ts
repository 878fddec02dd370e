// A real two-node Docker Swarm for tests: a manager and a worker, each its own dockerd in a
// network namespace of its own, joined over a veth pair with private addresses that exist
// only inside those namespaces. Nothing of the machine's own engine is touched.
//
// Why two new daemons rather than the machine's dockerd as manager: that daemon is already a
// one-node swarm advertising 127.0.0.1, which no other namespace can reach, and a daemon
// belongs to one swarm only. A second daemon in the host's namespace would share its
// iptables chains, docker_gwbridge and ports with the machine's daemon; one per namespace
// shares nothing.
//
// Each daemon runs as the init of its own PID namespace (unshare --pid --fork --kill-child),
// in a private mount and UTS namespace: SIGKILL to that init takes down the daemon,
// containerd, the shims and every container at once — the loss of a machine — and leaves no
// process behind. Its mounts (overlay2 layers, network namespaces of the tasks) live in the
// private mount namespace and vanish with it; close() still checks the host's mount table and
// unmounts anything under the run's folder. The network namespace is entered with nsenter,
// not `ip netns exec`: that one remounts /sys, which drops the cgroup v1 mounts under it, and
// dockerd then refuses to start ("Devices cgroup isn't mounted").
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';

/** Every run's folder starts with this; the sweep of crashed runs looks for it. */
const RUN_PREFIX = 'mnops-2node-';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type NodeRole = 'manager' | 'worker';

export interface SwarmNode {
  role: NodeRole;
  hostname: string;
  netns: string;
  /** The veth end inside this node's namespace. */
  link: string;
  /** Its address on the veth pair (also its swarm advertise address). */
  addr: string;
  socket: string;
  dataRoot: string;
  /** A client bound to this node's socket, never to DOCKER_HOST. */
  docker: Docker;
  /** Swarm node id, once in the swarm. */
  nodeId: string;
  /** The `unshare` process; its child is the daemon, init of the node's PID namespace. */
  proc?: ChildProcess;
  /** Host pid of that init (the dockerd). */
  initPid?: number;
}

export interface TwoNodeSwarm {
  run: string;
  dir: string;
  manager: SwarmNode;
  worker: SwarmNode;
  /** `docker -H <node> ...`, trimmed stdout. */
  cli(node: SwarmNode, ...args: string[]): string;
  /** Takes the worker's end of the veth down / up: the machines can no longer talk. */
  partition(): void;
  reconnect(): void;
  /** SIGKILL to the node's PID-namespace init: daemon, shims and containers die together. */
  powerOff(node: SwarmNode): Promise<void>;
  /** The node's state as the manager sees it (ready, down, unknown…); undefined when removed. */
  nodeState(node: SwarmNode): Promise<string | undefined>;
  waitForNodeState(node: SwarmNode, state: string, timeoutMs: number): Promise<number>;
  /** Removes everything; safe to call twice and after a failed start. */
  close(): Promise<void>;
}

/** The reason a two-node swarm cannot be built here, or undefined when it can. */
export function twoNodeSwarmUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux network namespaces (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces and run dockerd (run the tests as root)';
  const packages: Record<string, string> = { ip: 'iproute2', dockerd: 'docker.io', docker: 'docker.io', containerd: 'docker.io', runc: 'docker.io', nsenter: 'util-linux', unshare: 'util-linux' };
  for (const [tool, pkg] of Object.entries(packages)) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not on PATH (apt-get install -y ${pkg})`;
    }
  }
  // What swarm needs of the kernel, tried in a scratch namespace: veth pairs and vxlan (overlay).
  const probe = `mnops-probe-${randomBytes(3).toString('hex')}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    try {
      execFileSync('ip', ['-n', probe, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1'], { stdio: 'pipe' });
    } catch (err) {
      return `the kernel cannot make veth pairs (CONFIG_VETH): ${stderrOf(err)}`;
    }
    try {
      execFileSync('ip', ['-n', probe, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'dev', 'p0'], { stdio: 'pipe' });
    } catch (err) {
      return `the kernel has no vxlan (CONFIG_VXLAN), which swarm's overlay networks need: ${stderrOf(err)}`;
    }
  } catch (err) {
    return `cannot create a network namespace: ${stderrOf(err)}`;
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
    } catch {
      // it was never created
    }
  }
  return undefined;
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: Buffer | string; message?: string };
  return String(e.stderr ?? '').trim() || String(e.message ?? err);
}

function sh(cmd: string, args: string[], input?: Buffer): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'], ...(input ? { input } : {}) }).trim();
}

/** A client for exactly this socket: the modem would otherwise prefer a tcp:// DOCKER_HOST. */
function clientFor(socket: string): Docker {
  const docker = new Docker({ socketPath: socket });
  const modem = docker.modem as { socketPath?: unknown; host?: unknown };
  if (modem.socketPath !== socket || modem.host) {
    throw new Error(`a dockerode client for ${socket} would talk to ${String(modem.host ?? modem.socketPath)} (DOCKER_HOST=${process.env.DOCKER_HOST}); unset DOCKER_HOST for this test`);
  }
  return docker;
}

interface RunState {
  owner: number;
  netns: string[];
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Host pids whose command line names `dir` (daemons, containerd and shims of a run). */
function processesUnder(dir: string): number[] {
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

/** What a run left on the machine: all empty after close(). */
export function leftovers(dir: string, netns: readonly string[]): { processes: number[]; mounts: string[]; netns: string[]; dir: boolean } {
  const listed = sh('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '');
  return { processes: processesUnder(dir), mounts: mountsUnder(dir), netns: netns.filter((n) => listed.includes(n)), dir: existsSync(dir) };
}

/** Kills what a run started, unmounts, deletes its namespaces (and so its veths) and folder. */
async function destroy(dir: string, netns: readonly string[], inits: number[]): Promise<void> {
  for (const pid of inits) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  // The inits' exits reap their namespaces; anything else naming the folder (a daemon that
  // never became an init, a crashed run's shims) is killed by pid too.
  for (let i = 0; i < 100; i++) {
    const left = [...inits.filter(pidAlive), ...processesUnder(dir)];
    if (left.length === 0) break;
    if (i % 10 === 9) for (const pid of processesUnder(dir)) process.kill(pid, 'SIGKILL');
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
async function sweepCrashedRuns(): Promise<void> {
  for (const entry of readdirSync(os.tmpdir())) {
    if (!entry.startsWith(RUN_PREFIX)) continue;
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

/** Starts dockerd for `node` as the init of its own PID, mount and UTS namespaces inside its netns. */
async function startDaemon(node: SwarmNode, dir: string): Promise<void> {
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

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface StartOptions {
  /** Images of the machine's engine to copy into both nodes (docker save | load). */
  images: string[];
  /** Extra tags on both nodes: tag → source image. */
  tags?: Record<string, string>;
}

/**
 * Builds the swarm: namespaces, veth pair (10.231.1.1 manager, 10.231.1.2 worker), two
 * daemons, `swarm init` with a 1 s dispatcher heartbeat (a lost node shows as down in about
 * 3 s instead of 15) and an address pool inside 10.231.128.0/17, the worker joined with the
 * join token, the images loaded into both. On any failure everything is removed again.
 */
export async function startTwoNodeSwarm(options: StartOptions): Promise<TwoNodeSwarm> {
  await sweepCrashedRuns();
  const run = randomBytes(3).toString('hex');
  const dir = path.join(os.tmpdir(), `${RUN_PREFIX}${run}`);
  mkdirSync(dir, { recursive: true });
  const node = (role: NodeRole, addr: string): SwarmNode => {
    const socket = path.join(dir, `${role}.sock`);
    return { role, hostname: `mnops-${role}`, netns: `m2n${run}${role[0]}`, link: `m2n${run}${role[0]}0`, addr, socket, dataRoot: path.join(dir, role, 'data'), docker: clientFor(socket), nodeId: '' };
  };
  const manager = node('manager', '10.231.1.1');
  const worker = node('worker', '10.231.1.2');
  const nodes = [manager, worker];
  const state: RunState = { owner: process.pid, netns: nodes.map((n) => n.netns) };
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify(state));

  let closed = false;
  const swarm: TwoNodeSwarm = {
    run,
    dir,
    manager,
    worker,
    cli: (n, ...args) => sh('docker', ['-H', `unix://${n.socket}`, ...args]),
    partition: () => void sh('ip', ['-n', worker.netns, 'link', 'set', worker.link, 'down']),
    reconnect: () => void sh('ip', ['-n', worker.netns, 'link', 'set', worker.link, 'up']),
    async powerOff(n) {
      const pid = n.initPid;
      if (!pid) return;
      process.kill(pid, 'SIGKILL');
      const own = `${path.join(dir, n.role)}/`;
      for (let i = 0; i < 100 && (pidAlive(pid) || processesUnder(own).length); i++) await sleep(100);
      if (pidAlive(pid)) throw new Error(`the ${n.role}'s init ${pid} survived SIGKILL for 10 s`);
      n.initPid = undefined;
    },
    async nodeState(n) {
      try {
        const info = (await manager.docker.getNode(n.nodeId).inspect()) as { Status?: { State?: string } };
        return info.Status?.State;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    },
    async waitForNodeState(n, want, timeoutMs) {
      const t0 = Date.now();
      let last: string | undefined;
      while (Date.now() - t0 < timeoutMs) {
        last = await swarm.nodeState(n);
        if (last === want) return Date.now() - t0;
        await sleep(200);
      }
      throw new Error(`the ${n.role} node stayed ${last ?? 'removed'}, not ${want}, for ${timeoutMs} ms`);
    },
    async close() {
      if (closed) return;
      closed = true;
      await destroy(dir, state.netns, nodes.map((n) => n.initPid).filter((p): p is number => !!p));
    },
  };

  try {
    for (const n of nodes) sh('ip', ['netns', 'add', n.netns]);
    sh('ip', ['link', 'add', manager.link, 'netns', manager.netns, 'type', 'veth', 'peer', 'name', worker.link, 'netns', worker.netns]);
    for (const n of nodes) {
      sh('ip', ['-n', n.netns, 'addr', 'add', `${n.addr}/24`, 'dev', n.link]);
      sh('ip', ['-n', n.netns, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', n.netns, 'link', 'set', n.link, 'up']);
    }
    await Promise.all(nodes.map((n) => startDaemon(n, dir)));

    const port = 2377;
    await manager.docker.swarmInit({
      ListenAddr: `${manager.addr}:${port}`,
      AdvertiseAddr: manager.addr,
      DefaultAddrPool: ['10.231.128.0/17'],
      SubnetSize: 24,
      Spec: { Dispatcher: { HeartbeatPeriod: 1_000_000_000 } },
    });
    const info = (await manager.docker.swarmInspect()) as { JoinTokens: { Worker: string } };
    await worker.docker.swarmJoin({ ListenAddr: `${worker.addr}:${port}`, AdvertiseAddr: worker.addr, RemoteAddrs: [`${manager.addr}:${port}`], JoinToken: info.JoinTokens.Worker });
    for (const n of nodes) n.nodeId = ((await n.docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    await swarm.waitForNodeState(worker, 'ready', 20_000);

    const archive = execFileSync('docker', ['save', ...options.images], { maxBuffer: 512 * 1024 * 1024 });
    for (const n of nodes) {
      const loaded = await n.docker.loadImage(Readable.from([archive]));
      await new Promise<void>((resolve, reject) => n.docker.modem.followProgress(loaded, (err: Error | null) => (err ? reject(err) : resolve())));
      for (const [tag, source] of Object.entries(options.tags ?? {})) {
        const at = tag.lastIndexOf(':');
        await n.docker.getImage(source).tag({ repo: tag.slice(0, at), tag: tag.slice(at + 1) });
      }
    }
    return swarm;
  } catch (err) {
    const logs = nodes.map((n) => `--- ${n.role} dockerd log ---\n${tail(path.join(dir, n.role, 'dockerd.log'))}`).join('\n');
    await swarm.close();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
}
