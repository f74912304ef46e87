// The operator's settings for provenance and safety: where Kinema keeps its state, whether the
// visible watermark is on, which signing identity to use. They come from the environment (or
// the server's options), never from a request, so a user cannot turn provenance off.
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { loadIdentity } from '../provenance/identity.ts';
import { DEFAULT_WATERMARK_KEY } from '../provenance/invisibleWatermark.ts';
import { AuditLog } from '../safety/audit.ts';
import type { Provenance } from './output.ts';

export const operatorSettingsSchema = z.object({
  /** Kinema's state folder: signing identity, audit log. */
  home: z.string().min(1),
  visibleWatermark: z.boolean().default(true),
  /** Store prompts in C2PA manifests (default: only their SHA-256). */
  includePrompt: z.boolean().default(false),
  watermarkKey: z.string().min(1).default(DEFAULT_WATERMARK_KEY),
  certificatePath: z.string().optional(),
  privateKeyPath: z.string().optional(),
  trustAnchorsPath: z.string().optional(),
});
export type OperatorSettings = z.infer<typeof operatorSettingsSchema>;

const flag = (value: string | undefined) =>
  value === undefined ? undefined : !/^(0|false|no|off)$/i.test(value);

/** KINEMA_HOME, KINEMA_VISIBLE_WATERMARK=0, KINEMA_INCLUDE_PROMPT=1, KINEMA_WATERMARK_KEY, KINEMA_C2PA_CERT/KEY/TRUST. */
export function operatorSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): OperatorSettings {
  return operatorSettingsSchema.parse({
    home: env.KINEMA_HOME || join(homedir(), '.kinema'),
    visibleWatermark: flag(env.KINEMA_VISIBLE_WATERMARK),
    includePrompt: flag(env.KINEMA_INCLUDE_PROMPT),
    watermarkKey: env.KINEMA_WATERMARK_KEY || undefined,
    certificatePath: env.KINEMA_C2PA_CERT || undefined,
    privateKeyPath: env.KINEMA_C2PA_KEY || undefined,
    trustAnchorsPath: env.KINEMA_C2PA_TRUST || undefined,
  });
}

/** A fresh output id, as the Videos API spells them. */
export function newOutputId(): string {
  return `video_${randomBytes(12).toString('hex')}`;
}

export interface ProvenanceRequest {
  prompt: string;
  modelId: string;
  /** What was done, for the audit log: "generate", "edit", "extend", … */
  action: string;
  outputId?: string;
  keyId?: string | null;
  derivation?: Provenance['derivation'];
}

/**
 * The provenance of one output under these settings. `identityCreated` is true when this call
 * created the local signing identity, so the caller can say so once.
 */
export function provenanceFor(
  settings: OperatorSettings,
  request: ProvenanceRequest,
): { provenance: Provenance; identityCreated: boolean } {
  const identity = loadIdentity({
    certificatePath: settings.certificatePath,
    privateKeyPath: settings.privateKeyPath,
    trustAnchorsPath: settings.trustAnchorsPath,
    localDir: join(settings.home, 'identity'),
  });
  return {
    identityCreated: identity.created,
    provenance: {
      outputId: request.outputId ?? newOutputId(),
      prompt: request.prompt,
      modelId: request.modelId,
      marking: { visibleWatermark: settings.visibleWatermark, watermarkKey: settings.watermarkKey },
      identity,
      includePrompt: settings.includePrompt,
      derivation: request.derivation,
      audit: {
        log: auditLogOf(settings),
        keyId: request.keyId ?? null,
        action: request.action,
      },
    },
  };
}

/** The operator's audit log (append-only JSONL in Kinema's state folder). */
export function auditLogOf(settings: OperatorSettings): AuditLog {
  return new AuditLog(join(settings.home, 'audit.jsonl'));
}

export const LOCAL_IDENTITY_NOTICE =
  'created a local C2PA signing identity (self-signed, trusted by nobody else); set KINEMA_C2PA_CERT and KINEMA_C2PA_KEY to sign as your organisation';
