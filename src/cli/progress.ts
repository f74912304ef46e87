// A terminal progress bar with ETA. On a TTY it redraws one line; elsewhere (CI, logs, pipes)
// it prints a plain line at most every few seconds so logs stay readable.

export interface ProgressBar {
  /** Report `done` of the total, with an optional short status (e.g. "loss 0.123"). */
  update(done: number, status?: string): void;
  finish(status?: string): void;
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
  options: { quiet?: boolean } = {},
): ProgressBar {
  const start = performance.now();
  const isTty = Boolean(stream.isTTY);
  let lastPrint = 0;
  const width = 24;

  const line = (done: number, status?: string): string => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const elapsed = (performance.now() - start) / 1000;
    const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : Number.NaN;
    const filled = Math.round(fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const pct = `${(fraction * 100).toFixed(0).padStart(3)}%`;
    return `${label} ${bar} ${pct} ${done}/${total} elapsed ${formatDuration(elapsed)} eta ${formatDuration(eta)}${status ? ` ${status}` : ''}`;
  };

  return {
    update(done, status) {
      if (options.quiet) return;
      const now = performance.now();
      if (isTty) {
        if (now - lastPrint < 100 && done < total) return;
        stream.write(`\r\x1b[2K${line(done, status)}`);
      } else {
        if (now - lastPrint < 5000 && done < total) return;
        stream.write(`${line(done, status)}\n`);
      }
      lastPrint = now;
    },
    finish(status) {
      if (options.quiet) return;
      stream.write(isTty ? `\r\x1b[2K${line(total, status)}\n` : `${line(total, status)}\n`);
    },
  };
}
