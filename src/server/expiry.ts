// Expiry: results are kept for the queue's retention time after completion, then the record and
// its files are removed. Runs in the API server; several servers sharing a queue each sweep, and
// takeExpired hands each expired record to only one of them.
import type { JobQueue } from './queue/queue.ts';
import type { DataDir } from './storage.ts';

export async function sweepExpired(
  queue: JobQueue,
  data: DataDir,
  nowS = Math.floor(Date.now() / 1000),
): Promise<number> {
  let removed = 0;
  for (;;) {
    const batch = await queue.takeExpired(nowS, 100);
    for (const record of batch) await data.removeVideo(record.id);
    removed += batch.length;
    if (batch.length < 100) return removed;
  }
}

export function startExpirySweeps(queue: JobQueue, data: DataDir, everyMs = 60_000): () => void {
  const timer = setInterval(() => {
    sweepExpired(queue, data).catch((err) => console.error('kinema serve: expiry sweep failed', err));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
