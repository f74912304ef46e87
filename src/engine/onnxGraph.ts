// A small builder for ONNX graphs: named values, nodes, deduplicated constants, and serialisation.
// The exporter (export.ts) speaks in jax-js terms; this file only knows ONNX.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
type IGraphProto = onnxProto.onnx.IGraphProto;

/** Opset 17: LayerNormalization exists, ReduceSum takes axes as an input, other reductions as an attribute. */
export const OPSET = 17;
/** IR version 8 is the newest the bundled onnx.proto (1.10) knows, and it admits opset 17. */
const IR_VERSION = 8;

/** Element types the exporter handles (jax-js dtype names). */
export type ElementType = 'float32' | 'float16' | 'float64' | 'int32' | 'uint32' | 'bool' | 'int64' | 'uint8';

const ONNX_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int32: onnx.TensorProto.DataType.INT32,
  uint32: onnx.TensorProto.DataType.UINT32,
  bool: onnx.TensorProto.DataType.BOOL,
  int64: onnx.TensorProto.DataType.INT64,
  uint8: onnx.TensorProto.DataType.UINT8,
};

export class UnsupportedDtypeError extends Error {
  override name = 'UnsupportedDtypeError';
}

export function onnxType(dtype: string): number {
  const t = ONNX_TYPE[dtype as ElementType];
  if (t === undefined) throw new UnsupportedDtypeError(`dtype ${dtype} cannot be exported to ONNX`);
  return t;
}

/** Attribute values accepted by `GraphBuilder.node`. Arrays of integers become INTS, numbers INT or FLOAT. */
export type AttrValue = number | number[] | string | { float: number } | { graph: IGraphProto };

function attribute(name: string, value: AttrValue): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.GRAPH, g: value.graph };
}

/** Raw little-endian bytes of a typed array, as ONNX `raw_data` wants them. */
function rawBytes(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function typedArrayFor(dtype: ElementType, values: ArrayLike<number>): ArrayBufferView {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'uint32':
      return Uint32Array.from(values);
    case 'int64':
      return BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
    case 'bool':
    case 'uint8':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    case 'float16':
      throw new UnsupportedDtypeError('float16 constants are not supported; keep fp32 on CPU');
  }
}

export interface ValueInfo {
  name: string;
  dtype: ElementType;
  shape: number[];
}

function valueInfo(v: ValueInfo): IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: { elemType: onnxType(v.dtype), shape: { dim: v.shape.map((d) => ({ dimValue: d })) } },
    },
  };
}

/** Builds one ONNX graph. Node outputs get fresh names; constants are shared by value. */
export class GraphBuilder {
  readonly nodes: INodeProto[] = [];
  readonly initializers: ITensorProto[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();

  constructor(private readonly prefix = 'v') {}

  fresh(hint = ''): string {
    return `${this.prefix}${this.counter++}${hint ? `_${hint}` : ''}`;
  }

  /** Adds a node with one output and returns that output's name. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputName?: string): string {
    const out = outputName ?? this.fresh(op);
    this.nodeMulti(op, inputs, [out], attrs);
    return out;
  }

  nodeMulti(
    op: string,
    inputs: string[],
    outputs: string[],
    attrs: Record<string, AttrValue> = {},
  ): string[] {
    const attribute_ = Object.entries(attrs).map(([k, v]) => attribute(k, v));
    this.nodes.push({ opType: op, input: inputs, output: outputs, attribute: attribute_, name: outputs[0] });
    return outputs;
  }

  /** A constant tensor, stored once per distinct (dtype, shape, values). Small tensors only are deduplicated. */
  constant(dtype: ElementType, shape: number[], values: ArrayLike<number>): string {
    const small = values.length <= 16;
    const key = small ? `${dtype}|${shape.join(',')}|${Array.from(values).join(',')}` : '';
    if (small) {
      const hit = this.constants.get(key);
      if (hit) return hit;
    }
    const name = this.fresh('const');
    this.initializer(name, dtype, shape, typedArrayFor(dtype, values));
    if (small) this.constants.set(key, name);
    return name;
  }

  scalar(dtype: ElementType, value: number): string {
    return this.constant(dtype, [], [value]);
  }

  /** An int64 vector, the type ONNX wants for shapes, axes and slice bounds. */
  int64s(values: number[]): string {
    return this.constant('int64', [values.length], values);
  }

  /** Reshape that emits nothing when the shape does not change. */
  reshape(x: string, from: readonly number[], to: readonly number[]): string {
    if (sameShape(from, to)) return x;
    return this.node('Reshape', [x, this.int64s([...to])]);
  }

  /**
   * Transpose that emits nothing for the identity permutation, and a Reshape when only size-1
   * axes move (no data moves; ORT would still run a full Transpose kernel).
   */
  transpose(x: string, perm: readonly number[], shape: readonly number[]): string {
    if (perm.every((p, i) => p === i)) return x;
    const moving = perm.filter((p) => shape[p] !== 1);
    if (moving.every((p, i) => i === 0 || moving[i - 1] < p)) {
      return this.reshape(
        x,
        shape,
        perm.map((p) => shape[p]),
      );
    }
    return this.node('Transpose', [x], { perm: [...perm] });
  }

  initializer(name: string, dtype: ElementType, shape: number[], data: ArrayBufferView): void {
    this.initializers.push({ name, dataType: onnxType(dtype), dims: shape, rawData: rawBytes(data) });
  }

  graph(name: string): IGraphProto {
    // Nodes whose results reach no graph output are dropped (ORT would run them all: it does not
    // prune by fetches), e.g. the equations a fused pattern replaced; then unread constants.
    const needed = new Set(this.outputs.map((o) => o.name));
    const live: INodeProto[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      if (!(node.output ?? []).some((o) => needed.has(o))) continue;
      live.push(node);
      for (const input of node.input ?? []) needed.add(input);
      // A subgraph (Loop, If) may read outer values by name.
      for (const a of node.attribute ?? [])
        if (a.g) for (const input of subgraphInputs(a.g)) needed.add(input);
    }
    live.reverse();
    return {
      name,
      node: live,
      initializer: this.initializers.filter((t) => needed.has(t.name ?? '')),
      input: this.inputs.map(valueInfo),
      output: this.outputs.map(valueInfo),
    };
  }
}

/** Every value name the nodes of a subgraph (and its own subgraphs) read. */
function subgraphInputs(graph: IGraphProto): string[] {
  return (graph.node ?? []).flatMap((n) => [
    ...(n.input ?? []),
    ...(n.attribute ?? []).flatMap((a) => (a.g ? subgraphInputs(a.g) : [])),
  ]);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Serialises a graph as an ONNX model (protobuf bytes) for the default opset. */
export function encodeModel(graph: IGraphProto, producer = 'kinema'): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: producer,
    opsetImport: [{ domain: '', version: OPSET }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Decodes model bytes, for tests and tools that inspect an exported graph. */
export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
