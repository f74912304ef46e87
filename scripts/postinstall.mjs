// Runs the install steps that Kinema's dependencies really need, and nothing that downloads.
// esbuild (used by tsx) checks its platform binary; better-sqlite3 (the job queue) builds
// from source when no prebuilt binary can be downloaded.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function resolves(name) {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

if (existsSync('node_modules/better-sqlite3')) {
  let works = false;
  try {
    const Database = require('better-sqlite3');
    new Database(':memory:').close();
    works = true;
  } catch {}
  if (!works) {
    console.log('setup: building better-sqlite3 from source');
    execFileSync('npx', ['--no', 'node-gyp', 'rebuild', '--release'], {
      cwd: 'node_modules/better-sqlite3',
      stdio: 'inherit',
    });
  }
}
if (!resolves('tsx')) throw new Error('setup: tsx is missing from node_modules');
console.log('setup: ok');
