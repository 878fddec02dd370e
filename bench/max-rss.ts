// Runs a node script in this process and reports its peak resident set size, for machines
// without GNU time: node dist/bench/max-rss.js SCRIPT [ARGS...]. The figure (KB) is written
// to $BENCH_RSS_FILE, or to stderr when that is unset.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [script, ...args] = process.argv.slice(2);
if (!script) {
  process.stderr.write('usage: node max-rss.js SCRIPT [ARGS...]\n');
  process.exit(2);
}
const target = path.resolve(script);
process.argv = [process.argv[0]!, target, ...args];
process.on('exit', () => {
  const kb = process.resourceUsage().maxRSS;
  if (process.env.BENCH_RSS_FILE) writeFileSync(process.env.BENCH_RSS_FILE, `${kb}\n`);
  else process.stderr.write(`maxRSS ${kb} KB\n`);
});
await import(pathToFileURL(target).href);
