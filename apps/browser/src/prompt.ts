import { MicroLoraError } from '@microlora/core';

/** Characters the model reads and writes (its vocabulary, after lower-casing). */
export const MODEL_ALPHABET = " abcdefghijklmnopqrstuvwxyz0123456789'-,;:.()/";
/** The model's context: prompt and reply together. */
export const MODEL_SEQ_LEN = 64;
/** Every prompt leaves room for at least this many generated characters. */
export const MIN_REPLY_CHARS = 24;
/** Longest prompt: the context minus the guaranteed reply room. */
export const MAX_PROMPT_CHARS = MODEL_SEQ_LEN - MIN_REPLY_CHARS;
export const DEFAULT_REPLY_CHARS = 32;
/** A message of at most this many words is taken as a word to define ("hot dog" → "hot dog: "). */
export const MAX_LEMMA_WORDS = 3;

/**
 * 'definition': `lemma: ` — the model was trained on "lemma: definition", so it writes a definition;
 * 'continuation': the text itself — the model continues it.
 */
export type PromptKind = 'definition' | 'continuation';

export interface ChatPrompt {
  /** What is given to generate(): at most MAX_PROMPT_CHARS characters of the model's alphabet. */
  text: string;
  kind: PromptKind;
  /** Characters to generate: the reply length asked for, cut to what fits after the prompt. */
  maxNewTokens: number;
  /** The message was cut to fit. */
  trimmed: boolean;
}

const KNOWN = new Set(MODEL_ALPHABET);

/**
 * The message in the model's alphabet: lower-cased, accents dropped, every other
 * character (?, !, emoji, …) a space, runs of spaces collapsed, trimmed.
 */
export function normalizeMessage(message: string): string {
  if (typeof message !== 'string') throw new MicroLoraError('INVALID_ARGUMENT', `the message must be a string, got ${typeof message}`);
  const plain = message.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  let out = '';
  for (const ch of plain) out += KNOWN.has(ch) ? ch : ' ';
  return out.replace(/\s+/g, ' ').trim();
}

/** Questions that ask for a definition: their subject becomes the lemma. */
const QUESTION_FORMS: readonly RegExp[] = [
  /^(?:what|who) (?:is|are|was|were)(?: (?:a|an|the))? (.+)$/,
  /^what does (.+) mean$/,
  /^(?:define|definition of|meaning of|the meaning of) (.+)$/,
];

function wordCount(text: string): number {
  return text.length === 0 ? 0 : text.split(' ').length;
}

/** The first `limit` characters of `text`, ending at a word boundary when one exists past half of it. */
function cutAtWord(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const head = text.slice(0, limit);
  const space = head.lastIndexOf(' ');
  const cut = (space >= limit / 2 ? head.slice(0, space) : head).replace(/[\s,;:]+$/, '');
  return cut.length > 0 ? cut : head;
}

type ParsedMessage = { kind: 'definition'; lemma: string } | { kind: 'continuation'; body: string };

/** A definition request (its lemma) or text to continue, from a normalised, non-empty message. */
function parseMessage(text: string): ParsedMessage {
  const colon = text.indexOf(':');
  if (colon > 0) {
    const lemma = text.slice(0, colon).trim();
    const rest = text.slice(colon + 1).trim();
    return rest.length === 0 ? { kind: 'definition', lemma } : { kind: 'continuation', body: `${lemma}: ${rest}` };
  }
  const asked = QUESTION_FORMS.map((form) => form.exec(text)?.[1]).find((s) => s !== undefined);
  if (asked !== undefined && wordCount(asked) <= MAX_LEMMA_WORDS) return { kind: 'definition', lemma: asked };
  return wordCount(text) <= MAX_LEMMA_WORDS ? { kind: 'definition', lemma: text } : { kind: 'continuation', body: text };
}

/**
 * Builds the model prompt for a chat message: a word, a short phrase or a question
 * like "what is a dog?" becomes `dog: ` (a definition follows), "lemma: start of a
 * definition" is continued, and longer free text is continued after a space. The
 * prompt is cut (at a word boundary) to MAX_PROMPT_CHARS, so at least
 * MIN_REPLY_CHARS characters can follow; maxNewTokens is `replyChars` cut to fit.
 */
export function buildPrompt(message: string, replyChars = DEFAULT_REPLY_CHARS): ChatPrompt {
  if (!Number.isInteger(replyChars) || replyChars < 1 || replyChars >= MODEL_SEQ_LEN) {
    throw new MicroLoraError('OUT_OF_RANGE', `the reply length must be an integer from 1 to ${MODEL_SEQ_LEN - 1} characters, got ${String(replyChars)}`);
  }
  const text = normalizeMessage(message).replace(/^[:\s]+/, '');
  if (text.length === 0) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'type a word (e.g. "dog") or a phrase first: the message has no letters or digits the model reads');
  }
  const parsed = parseMessage(text);
  const body = parsed.kind === 'definition' ? parsed.lemma : parsed.body;
  const suffix = parsed.kind === 'definition' ? ': ' : ' ';
  const kept = cutAtWord(body, MAX_PROMPT_CHARS - suffix.length);
  const prompt = `${kept}${suffix}`;
  return { text: prompt, kind: parsed.kind, maxNewTokens: Math.min(replyChars, MODEL_SEQ_LEN - prompt.length), trimmed: kept !== body };
}
