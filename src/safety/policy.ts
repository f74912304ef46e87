// The prompt policy: refuses harmful requests by category before any compute is spent.
//
// How a prompt is judged: it is normalised into several token readings (normalize.ts); each
// enabled category's terms are searched in every reading (policyTerms.ts), ignoring words that
// belong to one of the category's exception phrases; "pair" rules need a term from each of two
// lists anywhere in the prompt. The first category that matches, in the order of CATEGORIES
// (most severe first), is the refusal. Operators adjust lists with PolicyConfig.
import { z } from 'zod';
import type { AuditLog, AuditRequest } from './audit.ts';
import { canonicalText, promptVariants, words } from './normalize.ts';
import {
  CATEGORIES,
  CATEGORY_DESCRIPTIONS,
  type CategoryTerms,
  DEFAULT_TERMS,
  type PolicyCategory,
} from './policyTerms.ts';

export { CATEGORIES, type PolicyCategory } from './policyTerms.ts';

const categoryConfigSchema = z.object({
  /** Default true; sexual_minors cannot be disabled. */
  enabled: z.boolean().optional(),
  addTerms: z.array(z.string().min(1)).optional(),
  removeTerms: z.array(z.string().min(1)).optional(),
  addExceptions: z.array(z.string().min(1)).optional(),
});

export const policyConfigSchema = z.object({
  categories: z.partialRecord(z.enum(CATEGORIES), categoryConfigSchema).optional(),
});
export type PolicyConfig = z.infer<typeof policyConfigSchema>;

/** A refused prompt: names the category and the words that triggered it. */
export class PolicyViolation extends Error {
  static readonly userError = true;
  override name = 'PolicyViolation';
  constructor(
    readonly category: PolicyCategory,
    readonly matched: string,
  ) {
    super(`prompt refused: ${CATEGORY_DESCRIPTIONS[category]} (category ${category}, matched "${matched}")`);
  }
}

export class PolicyConfigError extends Error {
  static readonly userError = true;
  override name = 'PolicyConfigError';
}

export type PolicyDecision = { allowed: true } | { allowed: false; violation: PolicyViolation };

/** A term as tokens, canonicalised the same way as prompts. */
function tokenise(term: string): string[] {
  return words(canonicalText(term));
}

interface CompiledCategory {
  category: PolicyCategory;
  terms: string[][];
  pairs: [string[][], string[][]][];
  exceptions: string[][];
}

function compile(config: PolicyConfig): CompiledCategory[] {
  const parsed = policyConfigSchema.safeParse(config);
  if (!parsed.success) throw new PolicyConfigError(`invalid policy config: ${parsed.error.message}`);
  const overrides = parsed.data.categories ?? {};
  if (overrides.sexual_minors?.enabled === false) {
    throw new PolicyConfigError('the sexual_minors category cannot be disabled');
  }
  return CATEGORIES.filter((c) => overrides[c]?.enabled !== false).map((category) => {
    const base: CategoryTerms = DEFAULT_TERMS[category];
    const o = overrides[category] ?? {};
    const removed = new Set((o.removeTerms ?? []).map((t) => tokenise(t).join(' ')));
    const keep = (t: string) => !removed.has(tokenise(t).join(' '));
    return {
      category,
      terms: [...base.terms, ...(o.addTerms ?? [])].filter(keep).map(tokenise),
      pairs: base.pairs.map(([a, b]) => [a.filter(keep).map(tokenise), b.filter(keep).map(tokenise)]),
      exceptions: [...base.exceptions, ...(o.addExceptions ?? [])].map(tokenise),
    };
  });
}

/** Whether `token` is `word` or `word` with a common suffix. */
function wordMatches(token: string, word: string): boolean {
  if (token === word) return true;
  if (word.length < 3 || !token.startsWith(word)) return false;
  return ['s', 'es', 'ed', 'd', 'ing', 'y'].includes(token.slice(word.length));
}

/** Start positions where `term` occurs in `tokens`. */
function occurrences(tokens: string[], term: string[]): number[] {
  const found: number[] = [];
  for (let i = 0; i + term.length <= tokens.length; i++) {
    if (term.every((w, k) => (term.length === 1 ? wordMatches(tokens[i + k]!, w) : tokens[i + k] === w)))
      found.push(i);
  }
  return found;
}

/** The first term found outside exception spans, or null. */
function findTerm(tokens: string[], terms: string[][], excepted: boolean[]): string | null {
  for (const term of terms) {
    for (const at of occurrences(tokens, term)) {
      if (term.every((_, k) => !excepted[at + k])) return term.join(' ');
    }
  }
  return null;
}

function exceptedPositions(tokens: string[], exceptions: string[][]): boolean[] {
  const excepted = new Array<boolean>(tokens.length).fill(false);
  for (const phrase of exceptions) {
    for (const at of occurrences(tokens, phrase))
      for (let k = 0; k < phrase.length; k++) excepted[at + k] = true;
  }
  return excepted;
}

function matchCategory(rules: CompiledCategory, readings: string[][]): string | null {
  for (const tokens of readings) {
    const excepted = exceptedPositions(tokens, rules.exceptions);
    const term = findTerm(tokens, rules.terms, excepted);
    if (term) return term;
    for (const [left, right] of rules.pairs) {
      const a = findTerm(tokens, left, excepted);
      const b = a && findTerm(tokens, right, excepted);
      if (a && b) return `${a} + ${b}`;
    }
  }
  return null;
}

/** Judges a prompt; returns the decision (never throws for a harmful prompt). */
export function checkPrompt(prompt: string, config: PolicyConfig = {}): PolicyDecision {
  const readings = promptVariants(prompt);
  for (const rules of compile(config)) {
    const matched = matchCategory(rules, readings);
    if (matched) return { allowed: false, violation: new PolicyViolation(rules.category, matched) };
  }
  return { allowed: true };
}

/**
 * Throws PolicyViolation for a refused prompt; the pipeline calls this before any compute. With
 * an audit log, the refusal is recorded first (its category, never the matched words: the log
 * keeps prompts as hashes).
 */
export function assertPromptAllowed(
  prompt: string,
  config: PolicyConfig = {},
  audit?: { log: AuditLog; request: AuditRequest },
): void {
  const decision = checkPrompt(prompt, config);
  if (decision.allowed) return;
  const { category } = decision.violation;
  audit?.log.appendDecision(
    audit.request,
    'refused',
    category,
    `prompt refused: ${CATEGORY_DESCRIPTIONS[category]}`,
  );
  throw decision.violation;
}
