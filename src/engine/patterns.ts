// Recognition of multi-equation patterns in a traced program that ONNX Runtime computes faster as
// one fused op, forward and backward.
//
// jax-js traces `np.tanh` and `nn.softmax` to chains of elementwise primitives, and autodiff turns
// each into a second, longer chain for the backward pass. ORT's CPU path runs every elementwise
// node as a separate pass over memory, so on the DiT's MLP activations (8·576·768 values) and
// attention weights (8·3·576·576) these chains cost more than the matrix products around them.
// Here we find
//   tanh:      h = where(f < 0, 1, −1); k = exp(2·f·h); r = h·(k − 1)/(k + 1)       → Tanh(f)
//   its VJP:   the chain from r's cotangent w back to f (8 multiplications)        → w·(1 − r²)
//   softmax:   k = exp(x − max(x)); y = k · 1/sum(k)                                → Softmax(x)
//   its VJP:   k·(s·n − n²·sum(k·s)) for the cotangent s of y                       → y·s − y·sum(y·s)
// Each replacement is the same function up to float rounding (parity tests check ≤ 1e-4
// relative); the equations they replace are left for dead-node pruning to drop.
import type { Jaxpr } from '@jax-js/jax';

type Eqn = Jaxpr['eqns'][number];
export type Atom = Jaxpr['outs'][number];

/** A value to compute in place of an equation's output, in terms of other atoms. */
export type Fusion =
  | { kind: 'tanh'; x: Atom }
  | { kind: 'tanhGrad'; cotangent: Atom; tanhOf: Atom }
  | { kind: 'softmax'; x: Atom; axis: number }
  | { kind: 'softmaxGrad'; cotangent: Atom; softmaxOf: Atom; axis: number };

const isLit = (a: Atom): a is Atom & { value: number } => 'value' in a;
const VIEW = new Set(['broadcast', 'reshape']);

/** Finds the fusable patterns of `jaxpr`, keyed by the equation output they replace. */
export function findFusions(jaxpr: Jaxpr): Map<Atom, Fusion> {
  const producer = new Map<Atom, Eqn>();
  for (const eqn of jaxpr.eqns) for (const v of eqn.outBinders) producer.set(v, eqn);
  const users = new Map<Atom, Eqn[]>();
  for (const eqn of jaxpr.eqns) {
    for (const a of eqn.inputs) if (!isLit(a)) users.set(a, [...(users.get(a) ?? []), eqn]);
  }
  const def = (a: Atom | undefined, primitive: string): Eqn | undefined => {
    if (a === undefined || isLit(a)) return undefined;
    const e = producer.get(a);
    return e?.primitive === primitive ? e : undefined;
  };
  /** Looks through reshapes and broadcasts (they repeat or regroup values, never change them). */
  const throughViews = (a: Atom): Atom => {
    let e = isLit(a) ? undefined : producer.get(a);
    while (e && VIEW.has(e.primitive)) {
      a = e.inputs[0];
      e = isLit(a) ? undefined : producer.get(a);
    }
    return a;
  };
  /** For a binary eqn with `known` as one operand, the other operand. */
  const other = (e: Eqn | undefined, known: Atom): Atom | undefined => {
    if (!e || e.inputs.length !== 2) return undefined;
    if (e.inputs[0] === known) return e.inputs[1];
    if (e.inputs[1] === known) return e.inputs[0];
    return undefined;
  };
  const isValue = (a: Atom | undefined, value: number): boolean =>
    a !== undefined && isLit(a) && a.value === value;
  const mulBy = (e: Eqn | undefined, known: Atom, value: number) =>
    e?.primitive === 'mul' && isValue(other(e, known), value);
  const addOf = (e: Eqn | undefined, known: Atom, value: number) =>
    e?.primitive === 'add' && isValue(other(e, known), value);
  const usersOf = (a: Atom, primitive: string) =>
    (users.get(a) ?? []).filter((e) => e.primitive === primitive);

  const fusions = new Map<Atom, Fusion>();
  for (const expEqn of jaxpr.eqns) {
    if (expEqn.primitive !== 'exp') continue;
    const k = expEqn.outBinders[0];
    if (k.aval.dtype !== 'float32') continue;
    matchTanh(k, expEqn) || matchSoftmax(k, expEqn);
  }
  return fusions;

  function matchTanh(k: Atom, expEqn: Eqn): boolean {
    // k = exp(j), j = i·2, i = f·h, h = where(f < 0, 1, −1)
    const j = expEqn.inputs[0];
    const jEqn = def(j, 'mul');
    const i =
      jEqn &&
      (isValue(jEqn.inputs[1], 2) ? jEqn.inputs[0] : isValue(jEqn.inputs[0], 2) ? jEqn.inputs[1] : undefined);
    const iEqn = def(i, 'mul');
    if (!iEqn) return false;
    for (const [f, h] of [iEqn.inputs, [iEqn.inputs[1], iEqn.inputs[0]]] as [Atom, Atom][]) {
      const whereEqn = def(h, 'where');
      if (!whereEqn || !isValue(whereEqn.inputs[1], 1) || !isValue(whereEqn.inputs[2], -1)) continue;
      const less = def(whereEqn.inputs[0], 'compare');
      if (!less || less.params.op !== 'less' || less.inputs[0] !== f || !isValue(less.inputs[1], 0)) continue;
      // l = k − 1, m = k + 1, n = 1/m, q = l·n, r = q·h
      const l = usersOf(k, 'add').find((e) => addOf(e, k, -1))?.outBinders[0];
      const m = usersOf(k, 'add').find((e) => addOf(e, k, 1))?.outBinders[0];
      const n = m && usersOf(m, 'reciprocal')[0]?.outBinders[0];
      if (!l || !n) return false;
      const q = usersOf(l, 'mul').find((e) => other(e, l) === n)?.outBinders[0];
      const r = q && usersOf(q, 'mul').find((e) => other(e, q) === h)?.outBinders[0];
      if (!r) return false;
      fusions.set(r, { kind: 'tanh', x: f });
      matchTanhGrad(f, h, k, l, n, r);
      return true;
    }
    return false;
  }

  /**
   * The VJP of tanh as autodiff writes it, from the cotangent w of r:
   * x = w·h, y = x·n, z = l·x, aa = p·z (p = −n·n), ab = y + aa, ac = k·ab, ad = ac·2, ae = ad·h.
   * Then ae = 4k/(1 + k)²·w = (1 − tanh²f)·w.
   */
  function matchTanhGrad(f: Atom, h: Atom, k: Atom, l: Atom, n: Atom, r: Atom): void {
    const o = usersOf(n, 'mul').find((e) => e.inputs[0] === n && e.inputs[1] === n)?.outBinders[0];
    const p = o && usersOf(o, 'neg')[0]?.outBinders[0];
    if (!p) return;
    for (const xEqn of usersOf(h, 'mul')) {
      const x = xEqn.outBinders[0];
      const w = other(xEqn, h);
      if (w === undefined || w === r || x === r) continue;
      const y = usersOf(x, 'mul').find((e) => other(e, x) === n)?.outBinders[0];
      const z = usersOf(x, 'mul').find((e) => other(e, x) === l)?.outBinders[0];
      const aa = z && usersOf(z, 'mul').find((e) => other(e, z) === p)?.outBinders[0];
      if (!y || !aa) continue;
      const ab = usersOf(y, 'add').find((e) => other(e, y) === aa)?.outBinders[0];
      const ac = ab && usersOf(ab, 'mul').find((e) => other(e, ab) === k)?.outBinders[0];
      const ad = ac && usersOf(ac, 'mul').find((e) => mulBy(e, ac, 2))?.outBinders[0];
      const ae = ad && usersOf(ad, 'mul').find((e) => other(e, ad) === h)?.outBinders[0];
      if (ae) fusions.set(ae, { kind: 'tanhGrad', cotangent: w, tanhOf: f });
    }
  }

  function matchSoftmax(k: Atom, expEqn: Eqn): boolean {
    // k = exp(x + neg(stop_gradient(max(x)))), n = 1/sum(k), y = k·n
    const addEqn = def(expEqn.inputs[0], 'add');
    if (!addEqn) return false;
    for (const [x, shift] of [addEqn.inputs, [addEqn.inputs[1], addEqn.inputs[0]]] as [Atom, Atom][]) {
      const negEqn = def(throughViews(shift), 'neg');
      let maxAtom = negEqn && throughViews(negEqn.inputs[0]);
      const stop = def(maxAtom, 'stop_gradient');
      if (stop) maxAtom = throughViews(stop.inputs[0]);
      const maxEqn = def(maxAtom, 'reduce');
      if (!maxEqn || maxEqn.params.op !== 'Max' || maxEqn.inputs[0] !== x) continue;
      const axes = maxEqn.params.axis as number[];
      if (axes.length !== 1) return false;
      const axis = axes[0];
      const sumEqn = usersOf(k, 'reduce').find(
        (e) =>
          e.params.op === 'Add' &&
          (e.params.axis as number[]).length === 1 &&
          (e.params.axis as number[])[0] === axis,
      );
      if (!sumEqn) return false;
      const n = viewsOf(sumEqn.outBinders[0]).flatMap((v) => usersOf(v, 'reciprocal'))[0]?.outBinders[0];
      if (!n) return false;
      const yEqn = usersOf(k, 'mul').find((e) => other(e, k) === n);
      const y = yEqn?.outBinders[0];
      if (y) fusions.set(y, { kind: 'softmax', x, axis });
      matchSoftmaxGrad(x, axis, k, n, y);
      return true;
    }
    return false;
  }

  /** All atoms that are `a` seen through views (a itself and its reshapes/broadcasts, recursively). */
  function viewsOf(a: Atom): Atom[] {
    const out = [a];
    for (const e of users.get(a) ?? []) if (VIEW.has(e.primitive)) out.push(...viewsOf(e.outBinders[0]));
    return out;
  }

  /**
   * The VJP of softmax, from the cotangent s of y = k·n (p = −n·n):
   * t = s·n, u = k·s, v = sum(u), aa = t + p·v, ab = k·aa = y·s − y·sum(y·s).
   */
  function matchSoftmaxGrad(x: Atom, axis: number, k: Atom, n: Atom, y: Atom | undefined): void {
    const nViews = viewsOf(n);
    const o = nViews
      .flatMap((v) => usersOf(v, 'mul'))
      .find((e) => nViews.includes(e.inputs[0]) && nViews.includes(e.inputs[1]))?.outBinders[0];
    const p = o && viewsOf(o).flatMap((v) => usersOf(v, 'neg'))[0]?.outBinders[0];
    if (!p) return;
    for (const uEqn of usersOf(k, 'mul')) {
      const s = other(uEqn, k);
      if (s === undefined || s === n || uEqn.outBinders[0] === y) continue;
      const sumEqn = usersOf(uEqn.outBinders[0], 'reduce').find(
        (e) => e.params.op === 'Add' && (e.params.axis as number[]).join() === String(axis),
      );
      if (!sumEqn) continue;
      const pViews = viewsOf(p);
      const vViews = viewsOf(sumEqn.outBinders[0]);
      const pv = vViews
        .flatMap((v) => usersOf(v, 'mul'))
        .find((e) => {
          const [a, b] = e.inputs;
          return (pViews.includes(a) && vViews.includes(b)) || (pViews.includes(b) && vViews.includes(a));
        })?.outBinders[0];
      const tEqn = usersOf(s, 'mul').find((e) => nViews.includes(other(e, s) as Atom));
      if (!pv || !tEqn) continue;
      const t = tEqn.outBinders[0];
      const pvViews = viewsOf(pv);
      const aa = usersOf(t, 'add').find((e) => pvViews.includes(other(e, t) as Atom))?.outBinders[0];
      const ab = aa && usersOf(aa, 'mul').find((e) => other(e, aa) === k)?.outBinders[0];
      if (ab) fusions.set(ab, { kind: 'softmaxGrad', cotangent: s, softmaxOf: x, axis });
    }
  }
}
