import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createProgressBar } from '../../src/cli/progress.ts';

/** A non-TTY stream that keeps what was written. */
function capture() {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => lines.push(s.trim()) > 0 };
  return { lines, stream: stream as unknown as NodeJS.WriteStream };
}

describe('progress bar', () => {
  test('a resumed run estimates its ETA from this session’s rate, not from step 0', () => {
    const { lines, stream } = capture();
    let now = 0;
    const bar = createProgressBar('train dit', 20_000, stream, { initial: 5_000, clock: () => now });
    now = 10_000; // 10 s for 10 steps: 1 s/step, 14 990 steps left
    bar.update(5_010);
    assert.match(lines.at(-1)!, /5010\/20000 elapsed 00:10 eta 4:09:50/);
  });

  test('a run stopped early finishes at the step it reached', () => {
    const { lines, stream } = capture();
    let now = 0;
    const bar = createProgressBar('train dit', 100, stream, { clock: () => now });
    now = 6_000;
    bar.update(40, 'loss 0.5');
    bar.finish('loss 0.5', 40);
    assert.match(lines.at(-1)!, / 40% 40\/100 .* loss 0\.5$/);
  });
});
