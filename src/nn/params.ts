// Parameter records and the one place that deals with jax-js reference counting.
//
// jax-js frees an array when its reference count reaches zero, and every function consumes
// (decrements) its array arguments; reusing an array needs `.ref`. Model code would drown in `.ref`
// if parameters were handled like activations, so parameters are read through a `ParamReader`:
// `p('weight')` always hands out a fresh reference, and the public entry points (`ditForward`,
// `ditLoss`, `encode`, ...) consume their parameter record once at the end, via `withParams`.
// That keeps the jax-js convention at the API boundary (pass `tree.ref(params)` to keep yours)
// while layer code only needs `.ref` for activations it uses twice.
import { numpy as np, tree } from '@jax-js/jax';
import type { ParamSpec } from './init.ts';

/** A model's parameters by flat name, e.g. `blocks.0.attn.qkv.weight`. */
export type Params = Record<string, np.Array>;

/** Parameters as plain arrays (what checkpoints and ONNX sessions exchange). */
export type HostParams = Record<string, { shape: number[]; data: Float32Array }>;

/** Reads a (sub-)module's parameters; every call returns a new reference the callee may consume. */
export interface ParamReader {
  (name: string): np.Array;
  /** The reader of a sub-module: `p.at('blocks.0').at('attn')('qkv.weight')`. */
  at(prefix: string): ParamReader;
  /** Whether the parameter exists (optional parts such as biases). */
  has(name: string): boolean;
}

/** A reader over `params` that never consumes them (the owner disposes them). */
export function paramReader(params: Params, prefix = ''): ParamReader {
  const full = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const read = (name: string): np.Array => {
    const param = params[full(name)];
    if (param === undefined) throw new Error(`missing parameter "${full(name)}"`);
    return param.ref;
  };
  return Object.assign(read, {
    at: (sub: string) => paramReader(params, full(sub)),
    has: (name: string) => params[full(name)] !== undefined,
  });
}

/**
 * Run `fn` with a reader over `params`, then release `params` (the jax-js convention: arguments
 * are consumed). Under `jit`/`grad`/`makeJaxpr` the params are tracers and this is what keeps
 * their reference counts balanced.
 */
export function withParams<T>(params: Params, fn: (p: ParamReader) => T): T {
  try {
    return fn(paramReader(params));
  } finally {
    tree.dispose(params);
  }
}

/** A new reference to every parameter: `f(refParams(params))` leaves `params` usable. */
export function refParams(params: Params): Params {
  return tree.ref(params);
}

/** Total number of scalars in a parameter record or spec. */
export function countParams(params: Params | ParamSpec): number {
  let total = 0;
  for (const value of Object.values(params)) {
    total += value.shape.reduce((a: number, b: number) => a * b, 1);
  }
  return total;
}

/** Parameters whose names start with `prefix.`, with the prefix removed (does not take references). */
export function subParams(params: Params, prefix: string): Params {
  const out: Params = {};
  const head = `${prefix}.`;
  for (const [name, value] of Object.entries(params)) {
    if (name.startsWith(head)) out[name.slice(head.length)] = value;
  }
  return out;
}

/** A nested object of arrays → flat dotted names (`{blocks: [{w}]}` → `blocks.0.w`). */
export function flattenParams(nested: unknown, prefix = ''): Params {
  const out: Params = {};
  const visit = (value: unknown, path: string) => {
    if (value instanceof np.Array) {
      out[path] = value;
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) visit(child, path ? `${path}.${key}` : key);
    } else {
      throw new Error(`flattenParams: "${path}" is not an array or object`);
    }
  };
  visit(nested, prefix);
  return out;
}

/** The inverse of `flattenParams`: dotted names → nested objects (numeric keys stay object keys). */
export function unflattenParams(flat: Params): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(flat)) {
    const parts = name.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return root;
}

/** Copy parameters out of jax-js (does not consume them). */
export async function toHostParams(params: Params): Promise<HostParams> {
  const out: HostParams = {};
  for (const [name, value] of Object.entries(params)) {
    const data = await value.ref.astype(np.float32).data();
    out[name] = { shape: [...value.shape], data: new Float32Array(data as Float32Array) };
  }
  return out;
}

/** Put host arrays into jax-js, checking them against a spec when one is given. */
export function fromHostParams(host: HostParams, spec?: ParamSpec): Params {
  if (spec) checkAgainstSpec(host, spec);
  const params: Params = {};
  for (const [name, { shape, data }] of Object.entries(host)) {
    params[name] = np.array(data, { shape });
  }
  return params;
}

/** Throws a readable error when a checkpoint does not fit a model (missing, extra, wrong shapes). */
export function checkAgainstSpec(host: Record<string, { shape: number[] }>, spec: ParamSpec): void {
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(spec)) {
    const got = host[name];
    if (!got) problems.push(`missing "${name}"`);
    else if (got.shape.join('x') !== entry.shape.join('x'))
      problems.push(`"${name}" has shape [${got.shape}] but the model needs [${entry.shape}]`);
  }
  for (const name of Object.keys(host)) if (!spec[name]) problems.push(`unexpected "${name}"`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 8).join('; ');
    const more = problems.length > 8 ? ` (and ${problems.length - 8} more)` : '';
    throw new Error(`weights do not match the model: ${shown}${more}`);
  }
}
