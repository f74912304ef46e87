// Likeness rule: an image or video input showing a human face is refused unless the request
// carries an explicit consent flag (the decision is logged by the caller via AuditLog).
//
// Faces are found with @vladmandic/face-api's SSD MobileNet v1 detector, weights shipped in the
// package. Its Node builds need @tensorflow/tfjs-node (or tfjs + tfjs-backend-wasm), which are not
// installed, so we load the self-contained browser ESM bundle on tfjs's pure-JS CPU backend. That
// bundle assumes a browser once it sees Node it tries `require('util')`, so it is imported with
// Node detection hidden and then given a small Node platform. About 7 s per frame on one core.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RgbFrames } from '../provenance/frames.ts';

export interface FaceCheck {
  faces: number;
  /** Best detection score in 0..1 (0 when no face). */
  bestScore: number;
}

export class LikenessRefused extends Error {
  static readonly userError = true;
  override name = 'LikenessRefused';
  constructor(readonly faces: number) {
    super(
      `input refused: it shows ${faces === 1 ? 'a human face' : `${faces} human faces`}; ` +
        'resubmit with explicit consent from the people shown (consent flag) to proceed',
    );
  }
}

// face-api's API is untyped for this bundle path; we use four calls and describe them here.
interface FaceApi {
  tf: {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    setPlatform(name: string, platform: object): void;
    tensor3d(values: Uint8Array, shape: [number, number, number], dtype: 'int32'): { dispose(): void };
    io: { decodeWeights(buffer: ArrayBuffer, specs: unknown): unknown };
  };
  env: { setEnv(env: unknown): void; createNodejsEnv(): unknown };
  nets: { ssdMobilenetv1: { loadFromWeightMap(map: unknown): Promise<void> } };
  SsdMobilenetv1Options: new (o: { minConfidence: number }) => unknown;
  detectAllFaces(input: unknown, options: unknown): Promise<{ score: number }[]>;
}

let loading: Promise<FaceApi> | null = null;

async function importBundle(bundle: string): Promise<FaceApi> {
  const versions = Object.getOwnPropertyDescriptor(process, 'versions')!;
  Object.defineProperty(process, 'versions', {
    ...versions,
    value: { ...process.versions, node: undefined },
  });
  try {
    return (await import(bundle)) as FaceApi;
  } finally {
    Object.defineProperty(process, 'versions', versions);
  }
}

async function loadDetector(): Promise<FaceApi> {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('@vladmandic/face-api/package.json'));
  const api = await importBundle(join(root, 'dist', 'face-api.esm.js'));
  api.tf.setPlatform('kinema-node', {
    fetch: globalThis.fetch,
    now: () => performance.now(),
    encode: (s: string) => new TextEncoder().encode(s),
    decode: (b: Uint8Array, encoding: string) => new TextDecoder(encoding).decode(b),
    isTypedArray: (a: unknown) => ArrayBuffer.isView(a) && !(a instanceof DataView),
    setTimeoutCustom: (fn: () => void, ms: number) => setTimeout(fn, ms),
  });
  api.env.setEnv(api.env.createNodejsEnv());
  await api.tf.setBackend('cpu');
  await api.tf.ready();
  const manifest = JSON.parse(
    readFileSync(join(root, 'model', 'ssd_mobilenetv1_model-weights_manifest.json'), 'utf8'),
  ) as {
    paths: string[];
    weights: unknown;
  }[];
  const weights = readFileSync(join(root, 'model', manifest[0]!.paths[0]!));
  const buffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  await api.nets.ssdMobilenetv1.loadFromWeightMap(api.tf.io.decodeWeights(buffer, manifest[0]!.weights));
  return api;
}

/** Counts faces in a video's frames (checks up to `maxFrames`, spread evenly). */
export async function detectFaces(video: RgbFrames, maxFrames = 3, minConfidence = 0.5): Promise<FaceCheck> {
  loading ??= loadDetector();
  const api = await loading;
  const step = Math.max(1, Math.floor(video.frames / maxFrames));
  let faces = 0;
  let bestScore = 0;
  const frameBytes = video.height * video.width * 3;
  for (let f = 0; f < video.frames && f / step < maxFrames; f += step) {
    const tensor = api.tf.tensor3d(
      video.pixels.subarray(f * frameBytes, (f + 1) * frameBytes),
      [video.height, video.width, 3],
      'int32',
    );
    try {
      const found = await api.detectAllFaces(tensor, new api.SsdMobilenetv1Options({ minConfidence }));
      faces = Math.max(faces, found.length);
      for (const d of found) bestScore = Math.max(bestScore, d.score);
    } finally {
      tensor.dispose();
    }
  }
  return { faces, bestScore };
}

/** The rule itself: throws LikenessRefused when faces were found and consent was not given. */
export function decideLikeness(check: FaceCheck, consent: boolean): FaceCheck {
  if (check.faces > 0 && !consent) throw new LikenessRefused(check.faces);
  return check;
}

/** Detects faces in the input and applies the consent rule. */
export async function checkLikeness(video: RgbFrames, consent: boolean): Promise<FaceCheck> {
  return decideLikeness(await detectFaces(video), consent);
}
