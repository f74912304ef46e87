// Runs the install steps that Kinema's dependencies really need, and nothing that downloads,
// so the result is the same whether or not this npm ran install scripts:
// - better-sqlite3 (the embedded job queue) is built from source with node-gyp when its
//   native module is missing (no prebuilt binary can be downloaded here);
// - the ffmpeg binary shipped by @ffmpeg-installer must be executable.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function sqliteWorks() {
  try {
    const Database = require('better-sqlite3');
    new Database(':memory:').close();
    return true;
  } catch {
    return false;
  }
}

if (existsSync('node_modules/better-sqlite3') && !sqliteWorks()) {
  console.log('setup: building better-sqlite3 from source (about a minute)');
  const bundledGyp = join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  const gyp = existsSync(bundledGyp) ? [process.execPath, bundledGyp] : ['npx', '--yes', 'node-gyp'];
  // node-gyp alone would download Node's headers; npm's `nodedir` (set on our machines) points
  // at the ones installed with Node.
  const nodedir = execFileSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).trim();
  const headers = nodedir && nodedir !== 'undefined' && nodedir !== 'null' ? [`--nodedir=${nodedir}`] : [];
  execFileSync(gyp[0], [...gyp.slice(1), 'rebuild', '--release', ...headers], {
    cwd: 'node_modules/better-sqlite3',
    stdio: 'inherit',
  });
  if (!sqliteWorks()) throw new Error('setup: better-sqlite3 still does not load after building it');
}

try {
  const ffmpeg = require('@ffmpeg-installer/ffmpeg').path;
  if ((statSync(ffmpeg).mode & 0o100) === 0) chmodSync(ffmpeg, 0o755);
} catch (err) {
  throw new Error(`setup: the ffmpeg binary from @ffmpeg-installer/ffmpeg is missing: ${err}`);
}
console.log('setup: ok');
