// Append-only audit log (JSONL): one record per request and decision — when, who (API key id),
// what action, the prompt's hash, the decision and its category, the output id, the watermark
// payload and the SHA-256 of every file written. Each append is fsync'd before returning, so a
// record that was acknowledged survives a crash. `findOutputs` answers "did this system make this
// video?" from a file hash or a watermark payload.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

export const auditRecordSchema = z.object({
  time: z.string(),
  keyId: z.string().nullable(),
  action: z.string(),
  promptSha256: z.string().nullable(),
  decision: z.enum(['allowed', 'refused']),
  category: z.string().nullable(),
  /** Why, in words (the refusal message, or e.g. "face present, consent given"). */
  reason: z.string().nullable(),
  outputId: z.string().nullable(),
  watermarkPayload: z.number().int().nullable(),
  fileSha256: z.array(z.string()),
  /** Earlier output this one derives from (edit, extension, remix). */
  parentOutputId: z.string().nullable(),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;
export type AuditEntry = Omit<AuditRecord, 'time'> & { time?: string };

/** Who asked for what: the part of a record every policy decision names. */
export interface AuditRequest {
  keyId: string | null;
  /** "generate", "animate", "create", "edit", … */
  action: string;
  prompt: string;
  outputId?: string | null;
}

export class AuditLogError extends Error {
  static readonly userError = true;
  override name = 'AuditLogError';
}

export class AuditLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  /** Appends one record durably (write + fsync) and returns it. */
  append(entry: AuditEntry): AuditRecord {
    const record = auditRecordSchema.parse({ ...entry, time: entry.time ?? new Date().toISOString() });
    const fd = openSync(this.path, 'a', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(record)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return record;
  }

  /**
   * A policy decision that is not an output of its own: a refusal, or a use that consent allowed.
   * The prompt is kept as its hash only.
   */
  appendDecision(
    request: AuditRequest,
    decision: AuditRecord['decision'],
    category: string,
    reason: string,
  ): AuditRecord {
    return this.append({
      keyId: request.keyId,
      action: request.action,
      promptSha256: createHash('sha256').update(request.prompt).digest('hex'),
      decision,
      category,
      reason,
      outputId: request.outputId ?? null,
      watermarkPayload: null,
      fileSha256: [],
      parentOutputId: null,
    });
  }

  /** All records, oldest first. A torn final line (crash mid-write) is skipped; other bad lines throw. */
  records(): AuditRecord[] {
    if (!existsSync(this.path)) return [];
    const lines = readFileSync(this.path, 'utf8').split('\n');
    const out: AuditRecord[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        out.push(auditRecordSchema.parse(JSON.parse(line)));
      } catch {
        if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) {
          throw new AuditLogError(`audit log ${this.path} is corrupt at line ${i + 1}`);
        }
      }
    });
    return out;
  }

  /** Allowed outputs matching a file's SHA-256 and/or a watermark payload. */
  findOutputs(query: { fileSha256?: string; watermarkPayload?: number }): AuditRecord[] {
    return this.records().filter(
      (r) =>
        r.decision === 'allowed' &&
        r.outputId !== null &&
        ((query.fileSha256 !== undefined && r.fileSha256.includes(query.fileSha256.toLowerCase())) ||
          (query.watermarkPayload !== undefined && r.watermarkPayload === query.watermarkPayload)),
    );
  }
}
