// jax-js needs one `init` per process before any array exists. In Node the wasm backend is the
// one to ask for: plain init() probes WebGPU and fails on the missing `navigator`.
import { init } from '@jax-js/jax';

let ready: Promise<unknown> | undefined;

/** Initialises jax-js once; safe to await from anywhere. */
export function ensureJax(): Promise<unknown> {
  ready ??= init('wasm');
  return ready;
}
