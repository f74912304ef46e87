// Shared helpers for engine tests: jax-js init, allclose, and "run this function in ORT".
import assert from 'node:assert/strict';
import { init, type JsTree, type numpy as np } from '@jax-js/jax';
import { type ExportOptions, exportFunction, namedLeaves, type Traceable } from '../../src/engine/export.ts';
import { type HostTensor, OrtSession } from '../../src/engine/session.ts';

let ready: Promise<unknown> | null = null;
/** jax-js in Node 20 needs the wasm backend named explicitly (plain init() probes WebGPU). */
export function initJax(): Promise<unknown> {
  ready ??= init('wasm');
  return ready;
}

/** Asserts |a - b| ≤ atol + rtol·|b| elementwise, with a message naming the worst element. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 1e-4, atol = 1e-5, what = 'value' }: { rtol?: number; atol?: number; what?: string } = {},
): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} ≠ ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = Number(actual[i]);
    const b = Number(expected[i]);
    const excess = Math.abs(a - b) - (atol + rtol * Math.abs(b));
    if (Number.isNaN(a) !== Number.isNaN(b) || excess > worstExcess) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst >= 0) {
    assert.fail(
      `${what}[${worst}]: ${actual[worst]} vs expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`,
    );
  }
}

/** Host copy of an array without consuming it. */
export function host(a: np.Array): HostTensor {
  return { data: a.ref.dataSync() as HostTensor['data'], shape: [...a.shape] };
}

/**
 * Exports `fn` at `args`, runs it in ORT on the same values, and returns the outputs in order
 * together with the exported graph. Arrays in `args` are not consumed.
 */
export async function runInOrt(
  // biome-ignore lint/suspicious/noExplicitAny: mirrors exportFunction's signature.
  fn: (...args: any[]) => JsTree<np.Array>,
  args: JsTree<np.Array>[],
  opts: ExportOptions = {},
): Promise<{ outputs: HostTensor[]; graph: ReturnType<typeof exportFunction> }> {
  const graph = exportFunction(fn, args as JsTree<Traceable>[], opts);
  const session = await OrtSession.create(graph.model);
  const feeds: Record<string, HostTensor> = {};
  args.forEach((arg, i) => {
    for (const [name, leaf] of namedLeaves(arg as JsTree<Traceable>, opts.argNames?.[i] ?? `arg${i}`)) {
      feeds[name] = host(leaf as np.Array);
    }
  });
  const result = await session.run(feeds);
  await session.dispose();
  return { outputs: graph.outputs.map((o) => result[o.name]), graph };
}
