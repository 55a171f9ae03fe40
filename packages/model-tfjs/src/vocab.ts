import { MicroLoraError } from '@microlora/core';

/** Token id of padding (positions past the end of a text). Never masked, never predicted. */
export const PAD = 0;
/** Token id of a masked position: what the diffusion model denoises. */
export const MASK = 1;
/** Token id of a character outside the alphabet. */
export const UNK = 2;
const FIRST_CHAR = 3;

/** The characters the model reads and writes (text is lower-cased first). */
export const ALPHABET = " abcdefghijklmnopqrstuvwxyz0123456789'-,;:.()/";

/** Vocabulary size: PAD, MASK, UNK and the alphabet. */
export const VOCAB_SIZE = FIRST_CHAR + ALPHABET.length;

const CODES = new Map<string, number>();
for (let i = 0; i < ALPHABET.length; i++) CODES.set(ALPHABET[i] as string, FIRST_CHAR + i);

/**
 * Character tokens of `text` (lower-cased; characters outside ALPHABET become UNK).
 * With `length` the result is cut or PAD-padded to exactly that many tokens.
 */
export function tokenize(text: string, length?: number): Int32Array {
  if (typeof text !== 'string') throw new MicroLoraError('INVALID_ARGUMENT', `text must be a string, got ${typeof text}`);
  const lower = text.toLowerCase();
  const n = length ?? lower.length;
  const out = new Int32Array(n); // PAD = 0
  const m = Math.min(n, lower.length);
  for (let i = 0; i < m; i++) out[i] = CODES.get(lower[i] as string) ?? UNK;
  return out;
}

/** Text of `tokens`: PAD ends the text, MASK shows as `maskChar` (default '_'), UNK as '?'. */
export function detokenize(tokens: ArrayLike<number>, maskChar = '_'): string {
  let s = '';
  for (let i = 0; i < tokens.length; i++) {
    const id = tokens[i] as number;
    if (id === PAD) break;
    if (id === MASK) s += maskChar;
    else if (id === UNK) s += '?';
    else s += ALPHABET[id - FIRST_CHAR] ?? '?';
  }
  return s;
}

/** True for ids the model may output at a masked position (characters and UNK). */
export function isTextToken(id: number): boolean {
  return id >= UNK && id < VOCAB_SIZE;
}
