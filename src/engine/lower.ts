// Lowering of a traced jax-js program (a Jaxpr: equations over primitives) to ONNX nodes.
//
// Every primitive maps to one or a few ONNX ops. Two things matter for speed:
//  - `dot` becomes MatMul (lowerDot.ts), never a materialised broadcast product;
//  - view equations (broadcast, transpose, reshape) are deferred and emitted only when a consumer
//    needs them, and a consumer that broadcasts anyway (MatMul, Add, Mul, Where, …) gets the
//    "lazy" form: broadcast axes left at size 1. Backward passes are full of such broadcasts
//    (the cotangent of a sum or mean), and materialising them would waste memory bandwidth.
import type { ClosedJaxpr, Jaxpr } from '@jax-js/jax';
import { lowerDot, type PermutedValue, type ShapedValue } from './lowerDot.ts';
import { type ElementType, type GraphBuilder, sameShape } from './onnxGraph.ts';
import { type Fusion, findFusions } from './patterns.ts';

type Eqn = Jaxpr['eqns'][number];
type Atom = Jaxpr['outs'][number];

/** Thrown when a traced program uses a primitive that has no ONNX lowering. */
export class UnsupportedPrimitiveError extends Error {
  override name = 'UnsupportedPrimitiveError';
  constructor(
    readonly primitive: string,
    detail = '',
  ) {
    super(`cannot export jax-js primitive '${primitive}' to ONNX${detail ? `: ${detail}` : ''}`);
  }
}

const isLit = (a: Atom): a is Atom & { value: number } => 'value' in a;

const UNARY: Record<string, string> = {
  neg: 'Neg',
  reciprocal: 'Reciprocal',
  floor: 'Floor',
  ceil: 'Ceil',
  sin: 'Sin',
  cos: 'Cos',
  asin: 'Asin',
  atan: 'Atan',
  exp: 'Exp',
  log: 'Log',
  erf: 'Erf',
  sqrt: 'Sqrt',
};

const BINARY: Record<string, string> = { add: 'Add', mul: 'Mul', min: 'Min', max: 'Max' };

const VIEW = new Set(['broadcast', 'transpose', 'reshape']);

/** The largest value ONNX Slice accepts as "to the start" with a negative step. */
const INT64_MIN = -(2 ** 63);

function broadcastShapes(...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s[s.length - rank + i] ?? 1;
      if (k !== 1) d = k;
    }
    out.push(d);
  }
  return out;
}

/**
 * Maps a reshape `from → to` onto a lazily broadcast input (`fromLazy`, size 1 where broadcast).
 * Works when each group of axes the reshape merges or splits is either fully present or fully
 * broadcast; returns null otherwise.
 */
function lazyReshape(from: number[], fromLazy: number[], to: number[]): number[] | null {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < from.length || j < to.length) {
    const gi = [i];
    const gj = [j];
    let pf = from[i] ?? 1;
    let pt = to[j] ?? 1;
    i++;
    j++;
    while (pf !== pt) {
      if (pf < pt) {
        pf *= from[i] ?? 1;
        gi.push(i++);
      } else {
        pt *= to[j] ?? 1;
        gj.push(j++);
      }
    }
    const present = gi.filter((k) => k < from.length);
    const full = present.every((k) => fromLazy[k] === from[k]);
    const broadcast = present.every((k) => fromLazy[k] === 1);
    if (!full && !broadcast) return null;
    for (const k of gj) if (k < to.length) out.push(full ? to[k] : 1);
  }
  return out;
}

/** Lowers one jaxpr into `g`, given the ONNX value names of its input binders. */
export class JaxprLowering {
  // Keyed by atom, though only variables (never literals) are stored.
  private readonly names = new Map<Atom, string>();
  private readonly deferred = new Map<Atom, Eqn>();
  private readonly lazyMemo = new Map<Atom, ShapedValue>();
  private fusions = new Map<Atom, Fusion>();
  /** Values derived once per fused pattern and shared: Softmax(x) and 1 − tanh²(x), by source atom. */
  private readonly fusedMemo = new Map<string, string>();

  /** `fuse: false` lowers every equation on its own (for tests comparing the two lowerings). */
  constructor(
    private readonly g: GraphBuilder,
    private readonly options: { fuse?: boolean } = {},
  ) {}

  /** Emits nodes for `jaxpr` (already flattened: no nested `jit`); returns its output value names. */
  lower(jaxpr: Jaxpr, inputNames: string[]): string[] {
    jaxpr.inBinders.forEach((v, i) => {
      this.names.set(v, inputNames[i]);
    });
    if (this.options.fuse ?? true) this.fusions = findFusions(jaxpr);
    for (const eqn of jaxpr.eqns) {
      const fusion = this.fusions.get(eqn.outBinders[0]);
      if (fusion) this.names.set(eqn.outBinders[0], this.emitFusion(fusion, eqn.outBinders[0].aval.shape));
      else if (VIEW.has(eqn.primitive)) this.deferred.set(eqn.outBinders[0], eqn);
      else {
        const name = this.emit(eqn);
        if (name !== null) this.names.set(eqn.outBinders[0], name);
      }
    }
    return jaxpr.outs.map((a) => this.full(a, a.aval.dtype));
  }

  private dtypeOf(a: Atom): ElementType {
    return a.aval.dtype as ElementType;
  }

  /** The materialised value of an atom, cast to `dtype` when it differs. */
  private full(a: Atom, dtype: string = a.aval.dtype): string {
    if (isLit(a)) return this.g.scalar(dtype as ElementType, a.value);
    let name = this.names.get(a);
    if (name === undefined) {
      const view = this.lazy(a);
      name = sameShape(view.shape, a.aval.shape)
        ? view.name
        : this.g.node('Expand', [view.name, this.g.int64s(a.aval.shape)]);
      this.names.set(a, name);
    }
    return a.aval.dtype === dtype ? name : this.g.node('Cast', [name], { to: castTarget(dtype) });
  }

  /** The value with broadcast axes left at size 1 (see the file comment). */
  private lazy(a: Atom): ShapedValue {
    if (isLit(a)) return { name: this.g.scalar(this.dtypeOf(a), a.value), shape: [] };
    const memo = this.lazyMemo.get(a);
    if (memo) return memo;
    const eqn = this.deferred.get(a);
    let result: ShapedValue;
    if (!eqn) {
      result = { name: this.full(a), shape: a.aval.shape };
    } else {
      const src = eqn.inputs[0];
      const inner = this.lazy(src);
      const outShape = a.aval.shape;
      if (eqn.primitive === 'broadcast') {
        // Insert size-1 axes where the broadcast adds axes; existing size-1 axes stay 1.
        const added = new Set<number>(eqn.params.axis as number[]);
        const shape: number[] = [];
        let k = 0;
        for (let i = 0; i < outShape.length; i++) shape.push(added.has(i) ? 1 : inner.shape[k++]);
        result = { name: this.g.reshape(inner.name, inner.shape, shape), shape };
      } else if (eqn.primitive === 'transpose') {
        const perm = eqn.params.perm as number[];
        result = {
          name: this.g.transpose(inner.name, perm, inner.shape),
          shape: perm.map((p) => inner.shape[p]),
        };
      } else {
        const mapped = sameShape(inner.shape, src.aval.shape)
          ? outShape
          : lazyReshape(src.aval.shape, inner.shape, outShape);
        result = mapped
          ? { name: this.g.reshape(inner.name, inner.shape, mapped), shape: mapped }
          : { name: this.g.reshape(this.full(src), src.aval.shape, outShape), shape: outShape };
      }
    }
    this.lazyMemo.set(a, result);
    return result;
  }

  /** Operands for an op with NumPy broadcasting: lazy forms when they still give `outShape`. */
  private broadcastOperands(inputs: Atom[], outShape: number[], dtypes: string[]): string[] {
    const lazy = inputs.map((a) => this.lazy(a));
    // Try all-lazy first, then materialise one operand at a time.
    const candidates: boolean[][] = [inputs.map(() => true)];
    for (let i = 0; i < inputs.length; i++) candidates.push(inputs.map((_, k) => k !== i));
    for (const useLazy of candidates) {
      const shapes = useLazy.map((l, k) => (l ? lazy[k].shape : inputs[k].aval.shape));
      if (sameShape(broadcastShapes(...shapes), outShape)) {
        return inputs.map((a, k) => {
          if (!useLazy[k]) return this.full(a, dtypes[k]);
          if (isLit(a)) return this.g.scalar(dtypes[k] as ElementType, a.value);
          return a.aval.dtype === dtypes[k] ? lazy[k].name : this.cast(lazy[k].name, dtypes[k]);
        });
      }
    }
    return inputs.map((a, k) => this.full(a, dtypes[k]));
  }

  /** An operand of an elementwise op producing `outShape`: lazy when broadcasting still gives it. */
  private operand(a: Atom, outShape: number[]): string {
    const lazy = this.lazy(a);
    return sameShape(broadcastShapes(lazy.shape, outShape), outShape) ? lazy.name : this.full(a);
  }

  /** Emits a recognised pattern (patterns.ts) as fused ONNX ops. */
  private emitFusion(f: Fusion, outShape: number[]): string {
    const g = this.g;
    const memo = (key: string, make: () => string): string => {
      let name = this.fusedMemo.get(key);
      if (name === undefined) {
        name = make();
        this.fusedMemo.set(key, name);
      }
      return name;
    };
    // Each fused op is emitted once per source value; a gradient reuses its forward's node, and
    // emits it itself if the traced program did not keep the forward value.
    const softmaxOf = (x: Atom, axis: number): string =>
      memo(`softmax:${this.full(x)}:${axis}`, () => g.node('Softmax', [this.full(x)], { axis }));
    const tanhOf = (x: Atom): string => memo(`tanh:${this.full(x)}`, () => g.node('Tanh', [this.full(x)]));
    switch (f.kind) {
      case 'tanh':
        return tanhOf(f.x);
      case 'tanhGrad': {
        // d tanh(x)/dx = 1 − tanh²(x), shared by every cotangent of the same tanh.
        const sech2 = memo(`sech2:${this.full(f.tanhOf)}`, () => {
          const t = tanhOf(f.tanhOf);
          return g.node('Sub', [g.scalar('float32', 1), g.node('Mul', [t, t])]);
        });
        return g.node('Mul', [this.operand(f.cotangent, outShape), sech2]);
      }
      case 'softmax':
        return softmaxOf(f.x, f.axis);
      case 'softmaxGrad': {
        // dx = y·s − y·sum(y·s) over the softmax axis.
        const y = softmaxOf(f.softmaxOf, f.axis);
        const ys = g.node('Mul', [y, this.operand(f.cotangent, outShape)]);
        const total = g.node('ReduceSum', [ys, g.int64s([f.axis])], { keepdims: 1 });
        return g.node('Sub', [ys, g.node('Mul', [y, total])]);
      }
    }
  }

  private cast(name: string, dtype: string): string {
    return this.g.node('Cast', [name], { to: castTarget(dtype) });
  }

  /** Emits the nodes of one equation; returns its output's name (null when it bound several). */
  private emit(eqn: Eqn): string | null {
    const g = this.g;
    const out = eqn.outBinders[0];
    const outDtype = out.aval.dtype;
    const outShape = out.aval.shape;
    const p = eqn.primitive as string;
    const [x, y] = eqn.inputs;

    if (p in UNARY) return g.node(UNARY[p], [this.full(x, outDtype)]);
    if (p in BINARY) {
      const op = outDtype === 'bool' ? { add: 'Or', mul: 'And', min: 'And', max: 'Or' }[p]! : BINARY[p];
      return g.node(op, this.broadcastOperands([x, y], outShape, [outDtype, outDtype]));
    }
    switch (p) {
      case 'stop_gradient':
        return this.full(x);
      case 'erfc': {
        const erf = g.node('Erf', [this.full(x, outDtype)]);
        return g.node('Sub', [g.scalar(outDtype as ElementType, 1), erf]);
      }
      case 'cast':
        return this.full(x, outDtype);
      case 'idiv': {
        const [a, b] = this.broadcastOperands([x, y], outShape, [outDtype, outDtype]);
        const q = g.node('Div', [a, b]);
        if (!outDtype.startsWith('float')) return q;
        // Float idiv truncates towards zero, like C.
        return g.node('Mul', [g.node('Sign', [q]), g.node('Floor', [g.node('Abs', [q])])]);
      }
      case 'mod':
        // jax-js mod takes the sign of the dividend (C fmod), which is ONNX Mod with fmod=1.
        return g.node('Mod', this.broadcastOperands([x, y], outShape, [outDtype, outDtype]), { fmod: 1 });
      case 'reduce':
        return this.reduce(eqn);
      case 'dot': {
        const a = this.dotOperand(x, outDtype);
        const b = this.dotOperand(y, outDtype);
        return lowerDot(g, a, b, outShape, outDtype as ElementType);
      }
      case 'compare': {
        const t = promote(x, y);
        const operands = this.broadcastOperands([x, y], outShape, [t, t]);
        const op = eqn.params.op as string;
        const node =
          op === 'less'
            ? g.node('Less', operands)
            : op === 'less_equal'
              ? g.node('LessOrEqual', operands)
              : op === 'equal'
                ? g.node('Equal', operands)
                : g.node('Not', [g.node('Equal', operands)]);
        return node;
      }
      case 'where':
        return g.node('Where', this.broadcastOperands(eqn.inputs, outShape, ['bool', outDtype, outDtype]));
      case 'concatenate':
        return g.node(
          'Concat',
          eqn.inputs.map((a) => this.full(a, outDtype)),
          { axis: eqn.params.axis as number },
        );
      case 'split': {
        const sizes = eqn.params.sizes as number[];
        const outs = eqn.outBinders.map(() => g.fresh('split'));
        g.nodeMulti('Split', [this.full(x), g.int64s(sizes)], outs, { axis: eqn.params.axis as number });
        eqn.outBinders.forEach((v, i) => {
          this.names.set(v, outs[i]);
        });
        return null;
      }
      case 'gather':
        return this.gather(eqn);
      case 'scatter':
        return this.scatter(eqn);
      case 'flip': {
        const axes = eqn.params.axis as number[];
        const name = g.node('Slice', [
          this.full(x),
          g.int64s(axes.map(() => -1)),
          g.int64s(axes.map(() => INT64_MIN)),
          g.int64s(axes),
          g.int64s(axes.map(() => -1)),
        ]);
        return name;
      }
      case 'shrink': {
        const slice = eqn.params.slice as [number, number][];
        const axes = slice
          .map((_, i) => i)
          .filter((i) => slice[i][0] !== 0 || slice[i][1] !== x.aval.shape[i]);
        const name = g.node('Slice', [
          this.full(x),
          g.int64s(axes.map((i) => slice[i][0])),
          g.int64s(axes.map((i) => slice[i][1])),
          g.int64s(axes),
        ]);
        return name;
      }
      case 'pad': {
        const width = eqn.params.width as [number, number][];
        const pads = g.int64s([...width.map((w) => w[0]), ...width.map((w) => w[1])]);
        return g.node('Pad', [this.full(x), pads, g.scalar(outDtype as ElementType, 0)]);
      }
      case 'jit':
        throw new UnsupportedPrimitiveError('jit', 'nested jaxprs must be flattened before lowering');
      default:
        throw new UnsupportedPrimitiveError(p);
    }
  }

  /**
   * A dot operand: the lazy value under any chain of transposes, with the transposes composed
   * into one pending permutation for lowerDot to fold into its matrix layout.
   */
  private dotOperand(a: Atom, dtype: string): PermutedValue {
    let perm = range(a.aval.shape.length);
    let src = a;
    for (let eqn = isLit(src) ? undefined : this.deferred.get(src); eqn?.primitive === 'transpose'; ) {
      const p = eqn.params.perm as number[];
      perm = perm.map((i) => p[i]);
      src = eqn.inputs[0];
      eqn = isLit(src) ? undefined : this.deferred.get(src);
    }
    if (isLit(src)) return { name: this.g.scalar(dtype as ElementType, src.value), shape: [], perm: [] };
    const v = this.lazy(src);
    const name = src.aval.dtype === dtype ? v.name : this.cast(v.name, dtype);
    return { name, shape: v.shape, perm };
  }

  private reduce(eqn: Eqn): string {
    const g = this.g;
    const [x] = eqn.inputs;
    const axes = eqn.params.axis as number[];
    const op = String(eqn.params.op);
    const input = this.full(x);
    if (axes.length === 0) return input;
    if (op === 'Add') return g.node('ReduceSum', [input, g.int64s(axes)], { keepdims: 0 });
    const onnxOp = { Mul: 'ReduceProd', Min: 'ReduceMin', Max: 'ReduceMax' }[op];
    if (!onnxOp) throw new UnsupportedPrimitiveError('reduce', `reduction op ${op}`);
    return g.node(onnxOp, [input], { axes, keepdims: 0 });
  }

  /**
   * gather(x, i_1..i_n; axis, outDim): x with the indexed axes removed and the (broadcast) index
   * shape inserted at outDim. One index → ONNX Gather; several → GatherND on stacked indices.
   */
  private gather(eqn: Eqn): string {
    const g = this.g;
    const [x, ...indices] = eqn.inputs;
    const axis = eqn.params.axis as number[];
    const outDim = eqn.params.outDim as number;
    const xShape = x.aval.shape;
    const rest = xShape.map((_, i) => i).filter((i) => !axis.includes(i));
    const indexShape = broadcastShapes(...indices.map((a) => a.aval.shape));
    let gathered: string;
    let gatheredShape: number[];
    // Layout of `gathered`: the first `lead` rest axes, then the index axes, then the other rest axes.
    let lead: number;
    if (indices.length === 1) {
      gathered = g.node('Gather', [this.full(x), this.full(indices[0], 'int64')], { axis: axis[0] });
      lead = axis[0];
      gatheredShape = [...xShape.slice(0, lead), ...indexShape, ...xShape.slice(lead + 1)];
    } else {
      const front = g.transpose(this.full(x), [...axis, ...rest], xShape);
      const stacked = g.node(
        'Concat',
        indices.map((a) =>
          g.node('Unsqueeze', [
            g.node('Expand', [this.full(a, 'int64'), g.int64s(indexShape)]),
            g.int64s([indexShape.length]),
          ]),
        ),
        { axis: -1 },
      );
      gathered = g.node('GatherND', [front, stacked]);
      lead = 0;
      gatheredShape = [...indexShape, ...rest.map((r) => xShape[r])];
    }
    const nIdx = indexShape.length;
    const nRest = rest.length;
    // Current axis order as (kind, position): rest[0..lead), index axes, rest[lead..).
    const current = [
      ...range(lead).map((r) => nIdx + r),
      ...range(nIdx),
      ...range(nRest - lead).map((r) => nIdx + lead + r),
    ];
    const wanted = [
      ...range(outDim).map((r) => nIdx + r),
      ...range(nIdx),
      ...range(nRest - outDim).map((r) => nIdx + outDim + r),
    ];
    return g.transpose(
      gathered,
      wanted.map((w) => current.indexOf(w)),
      gatheredShape,
    );
  }

  /** scatter(updates, i_1..i_n): the transpose of gather, into zeros; op 'add' or 'update'. */
  private scatter(eqn: Eqn): string {
    const g = this.g;
    const [updates, ...indices] = eqn.inputs;
    const { shape, axis, outDim, op } = eqn.params as {
      shape: number[];
      axis: number[];
      outDim: number;
      op: string;
    };
    const dtype = updates.aval.dtype as ElementType;
    const rest = shape.map((_, i) => i).filter((i) => !axis.includes(i));
    const indexShape = broadcastShapes(...indices.map((a) => a.aval.shape));
    const nIdx = indexShape.length;
    // updates: rest[:outDim] ++ index ++ rest[outDim:] → index ++ rest.
    const updLayout = [
      ...range(outDim).map((r) => nIdx + r),
      ...range(nIdx),
      ...range(rest.length - outDim).map((r) => nIdx + outDim + r),
    ];
    const upd = g.transpose(
      this.full(updates),
      range(nIdx + rest.length).map((w) => updLayout.indexOf(w)),
      updates.aval.shape,
    );
    const stacked = g.node(
      'Concat',
      indices.map((a) =>
        g.node('Unsqueeze', [
          g.node('Expand', [this.full(a, 'int64'), g.int64s(indexShape)]),
          g.int64s([nIdx]),
        ]),
      ),
      { axis: -1 },
    );
    const frontShape = [...axis.map((a) => shape[a]), ...rest.map((r) => shape[r])];
    const zeros = g.node('ConstantOfShape', [g.int64s(frontShape)], {});
    const typedZeros = dtype === 'float32' ? zeros : this.cast(zeros, dtype);
    const scattered = g.node('ScatterND', [typedZeros, stacked, upd], {
      reduction: op === 'add' ? 'add' : 'none',
    });
    // front layout: axis ++ rest → original axis order.
    const frontOrder = [...axis, ...rest];
    return g.transpose(
      scattered,
      shape.map((_, i) => frontOrder.indexOf(i)),
      frontShape,
    );
  }
}

function range(n: number): number[] {
  return Array.from({ length: Math.max(0, n) }, (_, i) => i);
}

/** The dtype two compared operands meet at: a literal takes the other side's dtype. */
function promote(x: Atom, y: Atom): string {
  if (isLit(x)) return y.aval.dtype;
  return x.aval.dtype;
}

const CAST_TO: Record<string, number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
};

function castTarget(dtype: string): number {
  const t = CAST_TO[dtype];
  if (t === undefined) throw new UnsupportedPrimitiveError('cast', `to dtype ${dtype}`);
  return t;
}

/** Flattens nested jit equations and simplifies, so lowering sees one flat program. */
export function flatProgram(closed: ClosedJaxpr): Jaxpr {
  return closed.jaxpr.flatten().simplify();
}
