// Export of a jax-js function to an ONNX model: trace with makeJaxpr, lower (lower.ts), name the
// graph's inputs and outputs after the argument and result trees, serialise.
//
//   const graph = exportFunction(forward, [params, new ArraySpec([2, 16, 64])], { argNames: ['params', 'x'] });
//   saveModel('denoiser.onnx', graph);     // runs in onnxruntime-node and onnxruntime-web
import { writeFileSync } from 'node:fs';
import { type ClosedJaxpr, type JsTree, makeJaxpr, type numpy as np } from '@jax-js/jax';
import { flatProgram, JaxprLowering } from './lower.ts';
import { type ElementType, encodeModel, GraphBuilder, type ValueInfo } from './onnxGraph.ts';

/** Shape and dtype of an argument, so a graph can be traced without allocating any array. */
export class ArraySpec {
  constructor(
    readonly shape: number[],
    readonly dtype: ElementType = 'float32',
    readonly weakType = false,
  ) {}
}

/** What a traced argument may be: a real array (only its shape and dtype are read) or a spec. */
export type Traceable = np.Array | ArraySpec;

export type TensorSpec = ValueInfo;

export interface ExportedGraph {
  /** Serialised ONNX ModelProto. */
  model: Uint8Array;
  /** Graph inputs in the order of the flattened arguments (closed-over arrays become initializers). */
  inputs: TensorSpec[];
  /** Graph outputs in the order of the flattened result. */
  outputs: TensorSpec[];
  /** Number of equations in the traced program, for reports. */
  equations: number;
}

export interface ExportOptions {
  /** Names of the top-level arguments; leaves are named `argName.key.0…`. Default `arg0`, `arg1`, … */
  argNames?: string[];
  /** Names of the top-level results when the function returns an array (tuple); default `out0`, … */
  outputNames?: string[];
  /** Graph name stored in the model. */
  name?: string;
  /** Export recognised patterns (tanh, softmax; patterns.ts) as fused ONNX ops. Default true. */
  fuse?: boolean;
}

export class ExportError extends Error {
  override name = 'ExportError';
}

type Tree = JsTree<Traceable>;

/** Leaves of an argument tree with dotted path names, in jax-js's flatten order (insertion order). */
export function namedLeaves(tree: Tree, prefix: string): [string, Traceable][] {
  if (Array.isArray(tree)) return tree.flatMap((t, i) => namedLeaves(t, `${prefix}.${i}`));
  if (tree !== null && typeof tree === 'object' && tree.constructor === Object) {
    return Object.entries(tree as Record<string, Tree>).flatMap(([k, t]) => namedLeaves(t, `${prefix}.${k}`));
  }
  return [[prefix, tree as Traceable]];
}

interface TreeDefLike {
  nodeType: string;
  nodeMetadata: unknown;
  childTreedefs: TreeDefLike[];
}

function treedefNames(def: TreeDefLike, prefix: string): string[] {
  switch (def.nodeType) {
    case 'Leaf':
      return [prefix];
    case 'Array':
      return def.childTreedefs.flatMap((c, i) => treedefNames(c, `${prefix}.${i}`));
    default: {
      const keys = def.nodeMetadata as string[];
      return def.childTreedefs.flatMap((c, i) => treedefNames(c, `${prefix}.${keys[i]}`));
    }
  }
}

/** Names of the outputs: with `outputNames`, top-level tuple entries get those names. */
function outputLeafNames(def: TreeDefLike, outputNames?: string[]): string[] {
  if (def.nodeType === 'Array') {
    return def.childTreedefs.flatMap((c, i) => treedefNames(c, outputNames?.[i] ?? `out${i}`));
  }
  return treedefNames(def, outputNames?.[0] ?? 'out');
}

/** Replaces real arrays by specs, so tracing neither reads nor consumes them. */
function asSpecs(tree: Tree): Tree {
  if (Array.isArray(tree)) return tree.map(asSpecs);
  if (tree !== null && typeof tree === 'object' && tree.constructor === Object) {
    return Object.fromEntries(Object.entries(tree as Record<string, Tree>).map(([k, t]) => [k, asSpecs(t)]));
  }
  const leaf = tree as Traceable;
  return new ArraySpec([...leaf.shape], leaf.dtype as ElementType);
}

export interface TracedProgram {
  closed: ClosedJaxpr;
  inputNames: string[];
  outputNames: string[];
}

/** Traces `fn` at the shapes of `args` into a jaxpr, with names for its inputs and outputs. */
export function traceProgram(
  // biome-ignore lint/suspicious/noExplicitAny: a traced function takes any tree of arrays; shapes are checked by tracing.
  fn: (...args: any[]) => JsTree<np.Array>,
  args: Tree[],
  opts: ExportOptions = {},
): TracedProgram {
  const specs = args.map(asSpecs);
  // biome-ignore lint/suspicious/noExplicitAny: makeJaxpr accepts abstract values in place of arrays.
  const { jaxpr, treedef } = makeJaxpr(fn)(...(specs as any[]));
  const inputNames = specs.flatMap((t, i) => namedLeaves(t, opts.argNames?.[i] ?? `arg${i}`).map(([n]) => n));
  const outputNames = outputLeafNames(treedef as unknown as TreeDefLike, opts.outputNames);
  return { closed: jaxpr, inputNames, outputNames };
}

/** Lowers a traced program into `g` as a complete graph (inputs, initializers, named outputs). */
export function buildGraph(g: GraphBuilder, program: TracedProgram, opts: { fuse?: boolean } = {}): void {
  const { closed, inputNames, outputNames } = program;
  const jaxpr = flatProgram(closed);
  const nConsts = closed.consts.length;
  const binderNames = jaxpr.inBinders.map((v, i) => {
    const dtype = v.aval.dtype as ElementType;
    if (i < nConsts) {
      const name = `const.${i}`;
      const data = (closed.consts[i] as unknown as np.Array).ref.dataSync() as ArrayBufferView;
      g.initializer(name, dtype, v.aval.shape, data);
      return name;
    }
    const name = inputNames[i - nConsts];
    g.inputs.push({ name, dtype, shape: v.aval.shape });
    return name;
  });
  if (binderNames.length - nConsts !== inputNames.length) {
    throw new ExportError(`traced ${binderNames.length - nConsts} inputs but named ${inputNames.length}`);
  }
  const values = new JaxprLowering(g, { fuse: opts.fuse }).lower(jaxpr, binderNames);
  nameOutputs(
    g,
    values,
    outputNames,
    jaxpr.outs.map((a) => ({ dtype: a.aval.dtype as ElementType, shape: a.aval.shape })),
  );
}

/**
 * Gives graph outputs their public names: the producing node's output is renamed when it is used
 * by one output only and is not a graph input or initializer; otherwise an Identity is added.
 */
function nameOutputs(
  g: GraphBuilder,
  values: string[],
  names: string[],
  types: { dtype: ElementType; shape: number[] }[],
): void {
  const produced = new Set(g.nodes.flatMap((n) => n.output ?? []));
  const claimed = new Set<string>();
  const rename = new Map<string, string>();
  values.forEach((v, i) => {
    if (produced.has(v) && !claimed.has(v)) {
      claimed.add(v);
      rename.set(v, names[i]);
    } else {
      g.node('Identity', [rename.get(v) ?? v], {}, names[i]);
    }
    g.outputs.push({ name: names[i], ...types[i] });
  });
  for (const node of g.nodes) {
    node.input = (node.input ?? []).map((n) => rename.get(n) ?? n);
    node.output = (node.output ?? []).map((n) => rename.get(n) ?? n);
  }
}

/** Traces `fn` at the shapes of `args` and exports it as an ONNX model. */
export function exportFunction(
  // biome-ignore lint/suspicious/noExplicitAny: see traceProgram.
  fn: (...args: any[]) => JsTree<np.Array>,
  args: Tree[],
  opts: ExportOptions = {},
): ExportedGraph {
  const program = traceProgram(fn, args, opts);
  const g = new GraphBuilder();
  buildGraph(g, program, { fuse: opts.fuse });
  return {
    model: encodeModel(g.graph(opts.name ?? 'kinema')),
    inputs: g.inputs,
    outputs: g.outputs,
    equations: flatProgram(program.closed).eqns.length,
  };
}

/**
 * Exports a forward-only function (denoiser step, decoder, text encoder). Parameters passed as
 * arguments stay graph inputs; pass them closed over (captured by `fn`) to bake them in as
 * initializers, which is what a shipped .onnx for the browser wants.
 */
export const exportInference = exportFunction;

/** Writes an exported model to a .onnx file. */
export function saveModel(path: string, graph: ExportedGraph): void {
  writeFileSync(path, graph.model);
}
