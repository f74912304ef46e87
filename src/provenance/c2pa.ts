// C2PA Content Credentials for every file Kinema writes: a signed manifest saying the file was
// created (or edited, extended, remixed) by a trained algorithm, which Kinema version and model
// made it, and a SHA-256 of the prompt (the prompt itself only if the operator opts in). Edits
// name the earlier output as their parent ingredient, so the chain of manifests travels along.
//
// Formats measured with @contentauth/c2pa-node 0.8.0: MP4, PNG, JPEG and GIF sign and validate;
// WebM is refused by the library ("type is unsupported").
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { basename, extname } from 'node:path';
import { Builder, LocalSigner, Reader } from '@contentauth/c2pa-node';
import { z } from 'zod';
import type { SigningIdentity } from './identity.ts';

export const TRAINED_ALGORITHMIC_MEDIA =
  'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';
export const GENERATION_ASSERTION = 'org.kinema.generation';
const PARENT_INGREDIENT_ID = 'kinema.parent';

// What c2pa-node 0.8 signs and reads (checked here): BMFF (MP4, MOV), PNG, JPEG, GIF and WebP
// (RIFF). Matroska/WebM it refuses ("type is unsupported"), so WebM outputs carry the watermarks only.
const MIME_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

export class C2paError extends Error {
  static readonly userError = true;
  override name = 'C2paError';
}

export const kinemaVersion: string = (
  createRequire(import.meta.url)('../../package.json') as { version: string }
).version;

export interface ManifestInfo {
  /** Kinema's id for this output (also the invisible watermark's source of payload). */
  outputId: string;
  model: { id: string; version?: string };
  prompt: string;
  /** Operator opt-in to store the prompt itself, not only its hash. */
  includePrompt?: boolean;
  /** Absent for a new video; for derived outputs, what was done to the parent. */
  derivation?: { kind: 'edit' | 'extension' | 'remix'; parentFile: string };
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Whether C2PA can sign or read this file type (by extension), e.g. to name it as an ingredient. */
export function c2paReadable(file: string): boolean {
  return extname(file).toLowerCase() in MIME_TYPES;
}

export function mimeTypeOf(file: string): string {
  const mime = MIME_TYPES[extname(file).toLowerCase()];
  if (!mime) {
    throw new C2paError(
      `cannot attach C2PA to ${basename(file)}: supported types are ${Object.keys(MIME_TYPES).join(', ')}`,
    );
  }
  return mime;
}

function manifestDefinition(info: ManifestInfo, title: string) {
  const softwareAgent = { name: 'Kinema', version: kinemaVersion, 'org.kinema.model': info.model.id };
  const created = {
    action: 'c2pa.created',
    digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
    softwareAgent,
  };
  // C2PA v2 claims need the parent opened (and linked by id) before it can be edited.
  const derived = info.derivation && [
    { action: 'c2pa.opened', softwareAgent, parameters: { ingredientIds: [PARENT_INGREDIENT_ID] } },
    {
      action: 'c2pa.edited',
      digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
      softwareAgent,
      description: `Kinema ${info.derivation.kind} of an earlier output`,
    },
  ];
  return {
    claim_generator_info: [{ name: 'Kinema', version: kinemaVersion }],
    title,
    assertions: [
      { label: 'c2pa.actions', data: { actions: derived ?? [created] } },
      {
        label: GENERATION_ASSERTION,
        data: {
          output_id: info.outputId,
          model: info.model,
          prompt_sha256: sha256Hex(info.prompt),
          ...(info.includePrompt ? { prompt: info.prompt } : {}),
          ...(info.derivation ? { derivation: info.derivation.kind } : {}),
        },
      },
    ],
  };
}

/** Writes `output`: `input` with a signed C2PA manifest embedded. */
export async function signFile(
  input: string,
  output: string,
  info: ManifestInfo,
  identity: SigningIdentity,
): Promise<void> {
  const mimeType = mimeTypeOf(input);
  const builder = Builder.withJson(manifestDefinition(info, basename(output)));
  if (info.derivation) {
    const parent = info.derivation.parentFile;
    await builder.addIngredient(
      JSON.stringify({
        title: basename(parent),
        relationship: 'parentOf',
        format: mimeTypeOf(parent),
        label: PARENT_INGREDIENT_ID,
      }),
      { path: parent, mimeType: mimeTypeOf(parent) },
    );
  }
  const signer = LocalSigner.newSigner(
    Buffer.from(identity.certificateChainPem),
    Buffer.from(identity.privateKeyPem),
    'es256',
  );
  try {
    builder.sign(signer, { path: input, mimeType }, { path: output, mimeType });
  } catch (err) {
    throw new C2paError(`C2PA signing of ${basename(input)} failed: ${(err as Error).message}`);
  }
}

export type ManifestState = 'trusted' | 'valid' | 'invalid' | 'absent';

export interface ManifestReport {
  state: ManifestState;
  /** Failure codes from validation, e.g. assertion.bmffHash.mismatch, signingCredential.untrusted. */
  codes: string[];
  manifest: ManifestSummary | null;
}

export interface ManifestSummary {
  title: string | null;
  claimGenerator: string | null;
  actions: { action: string; digitalSourceType?: string; softwareAgent?: unknown }[];
  generation: Record<string, unknown> | null;
  ingredients: { title: string | null; relationship: string | null; manifest: string | null }[];
  signer: { issuer: string | null; commonName: string | null } | null;
}

// What we read from the library's JSON: validated here, at the edge, instead of trusting its shape.
const storeSchema = z.object({
  active_manifest: z.string().optional(),
  manifests: z.record(z.string(), z.looseObject({})).default({}),
  validation_state: z.string().optional(),
  validation_results: z
    .looseObject({
      activeManifest: z
        .looseObject({ failure: z.array(z.looseObject({ code: z.string() })).default([]) })
        .optional(),
    })
    .optional(),
  validation_status: z.array(z.looseObject({ code: z.string() })).optional(),
});

const manifestSchema = z.looseObject({
  title: z.string().optional(),
  claim_generator_info: z
    .array(z.looseObject({ name: z.string().optional(), version: z.string().optional() }))
    .optional(),
  assertions: z.array(z.looseObject({ label: z.string(), data: z.unknown() })).default([]),
  ingredients: z
    .array(
      z.looseObject({
        title: z.string().optional(),
        relationship: z.string().optional(),
        active_manifest: z.string().optional(),
      }),
    )
    .default([]),
  signature_info: z
    .looseObject({ issuer: z.string().optional(), common_name: z.string().optional() })
    .optional(),
});

const actionsSchema = z.object({
  actions: z.array(
    z.looseObject({
      action: z.string(),
      digitalSourceType: z.string().optional(),
      softwareAgent: z.unknown(),
    }),
  ),
});

/** Reads and validates a file's C2PA manifest; `trustAnchorsPem` makes known signers Trusted. */
export async function readManifest(file: string, trustAnchorsPem = ''): Promise<ManifestReport> {
  const settings = JSON.stringify({
    verify: { verify_trust: true },
    ...(trustAnchorsPem ? { trust: { trust_anchors: trustAnchorsPem } } : {}),
  });
  let json: unknown;
  try {
    const reader = await Reader.fromAsset({ path: file, mimeType: mimeTypeOf(file) }, settings);
    if (!reader) return { state: 'absent', codes: [], manifest: null };
    json = reader.json();
  } catch (err) {
    const message = (err as Error).message;
    if (/not ?found|no jumbf|JumbfNotFound/i.test(message))
      return { state: 'absent', codes: [], manifest: null };
    return { state: 'invalid', codes: [`kinema.readError: ${message}`], manifest: null };
  }
  const store = storeSchema.parse(json);
  const failures = store.validation_results?.activeManifest?.failure ?? store.validation_status ?? [];
  const codes = [...new Set(failures.map((f) => f.code))];
  const active = store.active_manifest ? store.manifests[store.active_manifest] : undefined;
  return {
    state: stateOf(store.validation_state, codes),
    codes,
    manifest: active ? summarise(manifestSchema.parse(active)) : null,
  };
}

function stateOf(validationState: string | undefined, codes: string[]): ManifestState {
  if (validationState === 'Trusted') return 'trusted';
  if (validationState === 'Valid') return 'valid';
  if (validationState === 'Invalid') return 'invalid';
  // Older readers report no state: any failure other than an unknown signer is invalid.
  return codes.some((c) => c !== 'signingCredential.untrusted') ? 'invalid' : 'valid';
}

function summarise(m: z.infer<typeof manifestSchema>): ManifestSummary {
  const actions = m.assertions
    .filter((a) => a.label.startsWith('c2pa.actions'))
    .flatMap((a) => actionsSchema.safeParse(a.data).data?.actions ?? []);
  const generation = m.assertions.find((a) => a.label === GENERATION_ASSERTION)?.data;
  const generator = m.claim_generator_info?.[0];
  return {
    title: m.title ?? null,
    claimGenerator: generator ? `${generator.name ?? '?'} ${generator.version ?? ''}`.trim() : null,
    actions: actions.map((a) => ({
      action: a.action,
      ...(a.digitalSourceType ? { digitalSourceType: a.digitalSourceType } : {}),
      ...(a.softwareAgent ? { softwareAgent: a.softwareAgent } : {}),
    })),
    generation: generation && typeof generation === 'object' ? (generation as Record<string, unknown>) : null,
    ingredients: m.ingredients.map((i) => ({
      title: i.title ?? null,
      relationship: i.relationship ?? null,
      manifest: i.active_manifest ?? null,
    })),
    signer: m.signature_info
      ? { issuer: m.signature_info.issuer ?? null, commonName: m.signature_info.common_name ?? null }
      : null,
  };
}
