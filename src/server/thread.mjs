// Entry of a worker thread that runs a TypeScript module: Node 20 does not carry the parent's tsx
// loader into worker threads, and a worker cannot start from a .ts file, so this plain module
// registers tsx and then imports the module named in workerData.module (a file URL).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
