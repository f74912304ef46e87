// Benchmark runner: `npm run bench [-- NAME...]` runs bench/NAME.ts (all when none is named).
// Each benchmark prints one JSON object per line; nothing else goes to stdout.
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => basename(f, '.ts'))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
  process.exit(2);
}
// Hours-long studies run only when named (`npm run bench -- scaling`).
const ON_REQUEST = ['scaling'];
for (const name of wanted.length > 0 ? wanted : available.filter((n) => !ON_REQUEST.includes(n))) {
  process.stderr.write(`# bench ${name}\n`);
  await import(pathToFileURL(join(here, `${name}.ts`)).href);
}
