import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { init, numpy as np } from '@jax-js/jax';
import { createEma, emaDecayAt, emaStep, updateEma } from '../../src/nn/ema.ts';
import { initParams, initValues, normal, type ParamSpec, xavier, zeros } from '../../src/nn/init.ts';
import {
  checkAgainstSpec,
  countParams,
  flattenParams,
  fromHostParams,
  refParams,
  toHostParams,
  unflattenParams,
  withParams,
} from '../../src/nn/params.ts';

before(async () => {
  await init('wasm');
});

const spec: ParamSpec = {
  'layer.weight': { shape: [8, 4], init: xavier },
  'layer.bias': { shape: [4], init: zeros },
  embed: { shape: [10, 4], init: normal(0.02) },
};

describe('init', () => {
  test('is deterministic per (seed, name) and independent of the other parameters', () => {
    const a = initValues('layer.weight', spec['layer.weight'], 1);
    assert.deepEqual(a, initValues('layer.weight', spec['layer.weight'], 1));
    assert.notDeepEqual(a, initValues('layer.weight', spec['layer.weight'], 2));
    assert.notDeepEqual(a, initValues('other.weight', spec['layer.weight'], 1));
  });

  test('xavier stays within its limit and normal has the requested spread', () => {
    const limit = Math.sqrt(6 / (8 + 4));
    for (const v of initValues('w', spec['layer.weight'], 3)) assert.ok(Math.abs(v) <= limit);
    const values = initValues('e', { shape: [10000], init: normal(0.5) }, 3);
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    assert.ok(Math.abs(std - 0.5) < 0.02, `std ${std}`);
  });
});

describe('params', () => {
  test('counting, host round trip and spec checks', async () => {
    const params = initParams(spec, 0);
    assert.equal(countParams(params), 32 + 4 + 40);
    assert.equal(countParams(spec), 76);
    const host = await toHostParams(params);
    assert.deepEqual(host['layer.weight'].shape, [8, 4]);
    const back = await toHostParams(fromHostParams(host, spec));
    assert.deepEqual(back.embed.data, host.embed.data);
    const wrong = { ...host, 'layer.bias': { shape: [5], data: new Float32Array(5) } };
    assert.throws(
      () => checkAgainstSpec(wrong, spec),
      /"layer.bias" has shape \[5\] but the model needs \[4\]/,
    );
    const { embed: _, ...missing } = host;
    assert.throws(() => checkAgainstSpec(missing, spec), /missing "embed"/);
  });

  test('withParams consumes the record once; refParams keeps the caller’s copy alive', () => {
    const params = initParams(spec, 0);
    const sum = (p: typeof params) =>
      withParams(p, (read) => read('layer.bias').add(read('layer.bias')).sum());
    sum(refParams(params)).dispose();
    assert.equal(params['layer.bias'].refCount, 1);
    sum(params).dispose();
    assert.equal(params['layer.bias'].refCount, 0);
  });

  test('flatten and unflatten are inverse', () => {
    const a = np.zeros([2]);
    const b = np.ones([3]);
    const flat = flattenParams({ blocks: [{ w: a }], norm: { b } });
    assert.deepEqual(Object.keys(flat), ['blocks.0.w', 'norm.b']);
    const nested = unflattenParams(flat) as { blocks: { 0: { w: np.Array } }; norm: { b: np.Array } };
    assert.equal(nested.blocks[0].w, a);
    assert.equal(nested.norm.b, b);
  });
});

describe('ema', () => {
  test('host EMA moves towards the parameters by (1 - decay)', () => {
    const params = { w: { shape: [2], data: new Float32Array([1, 2]) } };
    const ema = createEma(params);
    params.w.data.set([3, 4]);
    updateEma(ema, params, 0.75);
    assert.deepEqual(Array.from(ema.w.data), [1.5, 2.5]);
    assert.equal(emaDecayAt(0, 0.999), 0.1);
    assert.equal(emaDecayAt(1e6, 0.999), 0.999);
  });

  test('jax-js EMA agrees', async () => {
    const ema = { w: np.array(new Float32Array([1, 2])) };
    const params = { w: np.array(new Float32Array([3, 4])) };
    const next = emaStep(ema, params, 0.75);
    assert.deepEqual(Array.from((await next.w.data()) as Float32Array), [1.5, 2.5]);
  });
});
