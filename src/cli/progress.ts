// A terminal progress bar with ETA. On a TTY it redraws one line; elsewhere (CI, logs, pipes)
// it prints a plain line at most every few seconds so logs stay readable.

export interface ProgressBar {
  /** Report `done` of the total, with an optional short status (e.g. "loss 0.123"). */
  update(done: number, status?: string): void;
  /** The last line; `done` defaults to the total (a run stopped early passes where it stopped). */
  finish(status?: string, done?: number): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function createProgressBar(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
  /** `initial`: work already done when the bar starts (a resumed run), left out of the rate. */
  options: { quiet?: boolean; initial?: number; clock?: () => number } = {},
): ProgressBar {
  const initial = options.initial ?? 0;
  const clock = options.clock ?? (() => performance.now()); // milliseconds
  const start = clock();
  const isTty = Boolean(stream.isTTY);
  let lastPrint = 0;
  const width = 24;

  const line = (done: number, status?: string): string => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const elapsed = (clock() - start) / 1000;
    const rate = (done - initial) / elapsed; // units per second, this session only
    const eta = done >= total ? 0 : rate > 0 ? (total - done) / rate : Number.NaN;
    const filled = Math.round(fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const pct = `${(fraction * 100).toFixed(0).padStart(3)}%`;
    return `${label} ${bar} ${pct} ${done}/${total} elapsed ${formatDuration(elapsed)} eta ${formatDuration(eta)}${status ? ` ${status}` : ''}`;
  };

  return {
    update(done, status) {
      if (options.quiet) return;
      const now = clock();
      if (isTty) {
        if (now - lastPrint < 100 && done < total) return;
        stream.write(`\r\x1b[2K${line(done, status)}`);
      } else {
        if (now - lastPrint < 5000 && done < total) return;
        stream.write(`${line(done, status)}\n`);
      }
      lastPrint = now;
    },
    finish(status, done = total) {
      if (options.quiet) return;
      stream.write(isTty ? `\r\x1b[2K${line(done, status)}\n` : `${line(done, status)}\n`);
    },
  };
}
