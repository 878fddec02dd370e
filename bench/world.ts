// A generated repository for the engine sections of the bench (apply, drift): one namespace,
// the docker adapter, one environment, and the platforms it runs, each from a spec body.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface BenchPlatform {
  name: string;
  /** Spec lines after owner, namespace and version, each indented by two spaces. */
  spec: string;
}

export function writeBenchWorld(dir: string, env: string, platforms: BenchPlatform[], options: { commit?: boolean } = {}): void {
  const put = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  put('registry/ns.yaml', 'apiVersion: mnops/v1\nkind: Namespace\nmetadata:\n  name: bench\nspec:\n  owners: [bench-team]\n');
  put('ecosystem/ecosystem-cloud/adapters/docker.yaml', 'apiVersion: mnops/v1\nkind: Adapter\nmetadata:\n  name: docker\nspec:\n  provider: docker\n  implements: []\n');
  for (const p of platforms) {
    put(
      `platforms/${p.name}/platform.yaml`,
      `apiVersion: mnops/v1\nkind: Platform\nmetadata:\n  name: ${p.name}\nspec:\n  owner: bench-team\n  namespace: bench\n  version: 1.0.0\n${p.spec}`,
    );
  }
  put(`ecosystem/platform-cloud/${env}/environment.yaml`, `apiVersion: mnops/v1\nkind: Environment\nmetadata:\n  name: ${env}\nspec:\n  tier: dev\n  adapter: docker\n`);
  put(
    `ecosystem/platform-cloud/${env}/platform.yaml`,
    `apiVersion: mnops/v1\nkind: PlatformInstance\nmetadata:\n  name: ${env}\nspec:\n  environment: ${env}\n  platforms:\n${platforms.map((p) => `    - name: ${p.name}\n      version: 1.0.0\n`).join('')}`,
  );
  if (options.commit) {
    const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { cwd: dir });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'bench world');
  }
}
