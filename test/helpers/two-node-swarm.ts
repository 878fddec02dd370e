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
// The machinery of one such daemon (namespaces, PID-namespace init, clean-up) is in
// namespaced-dockerd.ts.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { connectEngine } from '../../tools/lib/provider/engine.js';
import { destroy, pidAlive, processesUnder, sh, sleep, startDaemon, stderrOf, sweepCrashedRuns, tail, type DaemonNode, type RunState } from './namespaced-dockerd.js';

export { leftovers } from './namespaced-dockerd.js';

/** Every run's folder starts with this; the sweep of crashed runs looks for it. */
const RUN_PREFIX = 'mnops-2node-';

export type NodeRole = 'manager' | 'worker';

export interface SwarmNode extends DaemonNode {
  role: NodeRole;
  /** The veth end inside this node's namespace. */
  link: string;
  /** Its address on the veth pair (also its swarm advertise address). */
  addr: string;
  /** Swarm node id, once in the swarm. */
  nodeId: string;
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
  await sweepCrashedRuns(RUN_PREFIX);
  const run = randomBytes(3).toString('hex');
  const dir = path.join(os.tmpdir(), `${RUN_PREFIX}${run}`);
  mkdirSync(dir, { recursive: true });
  const node = (role: NodeRole, addr: string): SwarmNode => {
    const socket = path.join(dir, `${role}.sock`);
    return { role, hostname: `mnops-${role}`, netns: `m2n${run}${role[0]}`, link: `m2n${run}${role[0]}0`, addr, socket, dataRoot: path.join(dir, role, 'data'), docker: connectEngine(socket), nodeId: '' };
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
