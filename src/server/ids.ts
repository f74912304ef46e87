// Resource ids: a prefix and 32 lowercase hex digits from the CSPRNG. Every id that arrives in a
// URL or body is checked against the exact pattern before it reaches storage or the filesystem,
// so "../x", "%2e%2e", NUL bytes and the like never get near a path.
import { randomBytes } from 'node:crypto';

export const ID_PREFIXES = { video: 'video_', character: 'char_', key: 'key_' } as const;
export type IdKind = keyof typeof ID_PREFIXES;

const PATTERNS: Record<IdKind, RegExp> = {
  video: /^video_[0-9a-f]{32}$/,
  character: /^char_[0-9a-f]{32}$/,
  key: /^key_[0-9a-f]{32}$/,
};

export function newId(kind: IdKind): string {
  return ID_PREFIXES[kind] + randomBytes(16).toString('hex');
}

export function isId(kind: IdKind, value: string): boolean {
  return PATTERNS[kind].test(value);
}
