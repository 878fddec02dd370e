// Bundles each action (actions/<name>/src/index.ts) into one committed file,
// actions/<name>/dist/index.js, with esbuild. `--out DIR` writes DIR/<name>/index.js instead:
// the staleness check builds there and compares byte for byte.
import { build } from 'esbuild';
import process from 'node:process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ACTIONS = ['validate', 'deploy', 'drift'];
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildActions(outDir) {
  for (const name of ACTIONS) {
    await build({
      absWorkingDir: ROOT,
      entryPoints: [`actions/${name}/src/index.ts`],
      outfile: outDir ? path.join(outDir, name, 'index.js') : `actions/${name}/dist/index.js`,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      // CommonJS dependencies (dockerode, ssh2) call require() and read __dirname: give the
      // ESM bundle both — as `var`, since some ESM dependencies (@azure/storage-common, under
      // @actions/cache) declare their own module-level `var __filename`.
      banner: {
        js: [
          "import { createRequire as __mnopsRequire } from 'node:module';",
          "import { fileURLToPath as __mnopsPath } from 'node:url';",
          "import { dirname as __mnopsDirname } from 'node:path';",
          'const require = __mnopsRequire(import.meta.url);',
          'var __filename = __mnopsPath(import.meta.url);',
          'var __dirname = __mnopsDirname(__filename);',
        ].join('\n'),
      },
      // ssh2's optional native speed-ups are loaded in try/catch: leave them out.
      external: ['cpu-features', '*.node'],
      legalComments: 'none',
      // The same bundle whether node_modules is a folder or a link to another checkout's.
      preserveSymlinks: true,
      logLevel: 'warning',
    });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  await buildActions(i > 0 ? path.resolve(process.argv[i + 1]) : undefined);
}
