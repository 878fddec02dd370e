// Example repositories for one test file: each made on demand, all removed once the file's
// tests are done.
import { afterAll } from 'vitest';
import { exampleRepo, removeDir } from './repo.js';

type ExampleOptions = NonNullable<Parameters<typeof exampleRepo>[0]>;

/** Call at the top of a test file; `defaults` apply to every repository it makes. */
export function exampleRepos(defaults: ExampleOptions = {}): (options?: ExampleOptions) => string {
  const dirs: string[] = [];
  afterAll(() => dirs.splice(0).forEach(removeDir));
  return (options = {}) => {
    const dir = exampleRepo({ ...defaults, ...options });
    dirs.push(dir);
    return dir;
  };
}
