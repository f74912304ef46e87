// Prompt normalisation for the policy matcher. People dodge word lists with case, accents,
// look-alike letters from other scripts (Cyrillic "а" for Latin "a"), zero-width characters,
// leetspeak ("nud3"), and letters split by spaces or punctuation ("n.u.d.e", "n u d e"). Each
// function undoes one trick; `promptVariants` returns every reading the matcher should check.

// Letters from other scripts that render like Latin ones (a common subset of Unicode's confusables).
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ɡ: 'g',
  ı: 'i',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
};

const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'l',
  '+': 't',
  '€': 'e',
};

/** NFKC (fullwidth and styled letters to plain), lower case, accents and zero-width marks removed, look-alikes mapped. */
export function canonicalText(text: string): string {
  const folded = text
    .normalize('NFKC')
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f\u200b-\u200f\u2060\ufeff\u00ad]/g, '');
  return [...folded].map((ch) => CONFUSABLES[ch] ?? ch).join('');
}

/** Words of letters and digits. */
export function words(text: string): string[] {
  return text.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
}

/** Leetspeak decoded inside words that mix letters and symbols ("nud3" → "nude"; "3 cats" stays). */
function deLeet(text: string): string {
  return text
    .split(/\s+/)
    .map((chunk) => (/\p{L}/u.test(chunk) ? [...chunk].map((ch) => LEET[ch] ?? ch).join('') : chunk))
    .join(' ');
}

/** Runs of three or more single letters joined ("n u d e" → "nude"). */
function joinSpelledOut(tokens: string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length >= 3) out.push(run.join(''));
    else out.push(...run);
    run = [];
  };
  for (const token of tokens) {
    if (token.length === 1 && /\p{L}/u.test(token)) run.push(token);
    else {
      flush();
      out.push(token);
    }
  }
  flush();
  return out;
}

/** Whitespace-separated chunks with punctuation inside removed ("n.u.d.e" → "nude", "nu-de" → "nude"). */
function squeezePunctuation(text: string): string[] {
  return text
    .split(/\s+/)
    .map((chunk) => chunk.replace(/[^\p{L}\p{N}]+/gu, ''))
    .filter((w) => w.length > 0);
}

/** Every token reading of a prompt that the policy checks. */
export function promptVariants(prompt: string): string[][] {
  const canonical = canonicalText(prompt);
  const leet = deLeet(canonical);
  const variants = [
    words(canonical),
    words(leet),
    joinSpelledOut(words(leet)),
    squeezePunctuation(canonical),
    squeezePunctuation(leet),
  ];
  const seen = new Set<string>();
  return variants.filter((v) => {
    const key = v.join(' ');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
