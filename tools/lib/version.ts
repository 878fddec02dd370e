import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function findVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === 'machine-native-ops' && pkg.version) return pkg.version;
    } catch {
      // try the next layout (source vs dist)
    }
  }
  return '0.0.0';
}

/** The package version, read from package.json both from source and from dist/. */
export const TOOL_VERSION = findVersion();
