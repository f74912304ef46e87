// Likeness rule: an image or video input showing a human face is refused unless the request
// carries an explicit consent flag; `screenLikeness` writes each decision on a face to the audit log.
//
// Faces are found with @vladmandic/face-api's SSD MobileNet v1 detector, weights shipped in the
// package, on TensorFlow.js's WebAssembly backend (its SIMD kernels): about 0.3 s per 256×256
// frame, where the pure-JS CPU backend took 7–8 s (measured side by side on this 2-core machine).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RgbFrames } from '../provenance/frames.ts';
import type { AuditLog, AuditRequest } from './audit.ts';

export interface FaceCheck {
  faces: number;
  /** Best detection score in 0..1 (0 when no face). */
  bestScore: number;
}

export class LikenessRefused extends Error {
  static readonly userError = true;
  override name = 'LikenessRefused';
  /** `consentFlag`: how this caller gives consent (a CLI option, an API field). */
  constructor(
    readonly faces: number,
    consentFlag = 'the consent flag',
  ) {
    super(
      `input refused: it shows ${faces === 1 ? 'a human face' : `${faces} human faces`}; ` +
        `resubmit with explicit consent from the people shown (${consentFlag}) to proceed`,
    );
  }
}

// The few calls we use, typed here (face-api's own typings pull in all of tfjs's).
interface FaceApi {
  tf: {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    tensor3d(values: Uint8Array, shape: [number, number, number], dtype: 'int32'): { dispose(): void };
    io: { decodeWeights(buffer: ArrayBuffer, specs: unknown): unknown };
  };
  nets: { ssdMobilenetv1: { loadFromWeightMap(map: unknown): Promise<void> } };
  SsdMobilenetv1Options: new (o: { minConfidence: number }) => unknown;
  detectAllFaces(input: unknown, options: unknown): Promise<{ score: number }[]>;
}

let loading: Promise<FaceApi> | null = null;

async function loadDetector(): Promise<FaceApi> {
  const require = createRequire(import.meta.url);
  // The CommonJS build for Node on the wasm backend; it brings @tensorflow/tfjs with it.
  const api = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string): void };
  // The .wasm binaries are read from the installed package, never fetched.
  wasm.setWasmPaths(
    `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`,
  );
  await api.tf.setBackend('wasm');
  await api.tf.ready();
  const root = dirname(require.resolve('@vladmandic/face-api/package.json'));
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

/** Frames of an input clip the rule looks at (≈ 0.3 s each), spread over the clip. */
const SCREENED_FRAMES = 6;

/** Where a likeness decision is logged, and who asked. */
export interface LikenessAudit extends AuditRequest {
  log: AuditLog;
}

/**
 * The consent rule with its audit trail: an input showing faces is logged as refused (no
 * consent) or as allowed with consent, before the decision takes effect. Inputs without faces
 * need no record of their own; the output's record follows when it is written.
 */
export async function screenLikeness(
  video: RgbFrames,
  consent: boolean,
  audit?: LikenessAudit,
): Promise<FaceCheck> {
  const check = await detectFaces(video, SCREENED_FRAMES);
  if (check.faces > 0 && audit) {
    const reason = consent
      ? `face present (${check.faces}), consent given`
      : new LikenessRefused(check.faces).message;
    audit.log.appendDecision(audit, consent ? 'allowed' : 'refused', 'likeness', reason);
  }
  return decideLikeness(check, consent);
}
