import { describe, expect, it } from 'vitest';
import { SeededRng, isMicroLoraError } from '@microlora/core';
import { ALPHABET, DEFAULT_MODEL_CONFIG } from '@microlora/model-tfjs';
import { MAX_PROMPT_CHARS, MIN_REPLY_CHARS, MODEL_ALPHABET, MODEL_SEQ_LEN, buildPrompt, normalizeMessage } from '../src/prompt.js';
import { codeOf } from './helpers.js';

describe('the prompt limits', () => {
  it('are the model’s: its alphabet and its 64-character context', () => {
    expect(MODEL_ALPHABET).toBe(ALPHABET);
    expect(MODEL_SEQ_LEN).toBe(DEFAULT_MODEL_CONFIG.seqLen);
    expect(MAX_PROMPT_CHARS + MIN_REPLY_CHARS).toBe(MODEL_SEQ_LEN);
  });
});

describe('normalizeMessage', () => {
  it('lower-cases, drops accents, turns other characters into single spaces and trims', () => {
    expect(normalizeMessage('  Café—CRÈME brûlée?!  ')).toBe('cafe creme brulee');
    expect(normalizeMessage('Tab\there\nnewline 🐶 dog')).toBe('tab here newline dog');
    expect(normalizeMessage("rock'n'roll (music), 1950s; u.s./uk: -")).toBe("rock'n'roll (music), 1950s; u.s./uk: -");
    expect(normalizeMessage('?!¿ 🐶')).toBe('');
  });
});

describe('buildPrompt', () => {
  it('asks for a definition of a word, a short phrase or a question’s subject', () => {
    expect(buildPrompt('dog')).toEqual({ text: 'dog: ', kind: 'definition', maxNewTokens: 32, trimmed: false });
    expect(buildPrompt('Dog:')).toMatchObject({ text: 'dog: ', kind: 'definition' });
    expect(buildPrompt('dog: ')).toMatchObject({ text: 'dog: ', kind: 'definition' });
    expect(buildPrompt('hot dog stand')).toMatchObject({ text: 'hot dog stand: ', kind: 'definition' });
    expect(buildPrompt('What is a cat?')).toMatchObject({ text: 'cat: ', kind: 'definition' });
    expect(buildPrompt('who was the first emperor')).toMatchObject({ text: 'first emperor: ', kind: 'definition' });
    expect(buildPrompt('what does serendipity mean?')).toMatchObject({ text: 'serendipity: ', kind: 'definition' });
    expect(buildPrompt('define oak')).toMatchObject({ text: 'oak: ', kind: 'definition' });
    expect(buildPrompt(': oak')).toMatchObject({ text: 'oak: ', kind: 'definition' });
  });

  it('continues "lemma: the start of a definition" and longer free text', () => {
    expect(buildPrompt('dog: a domesticated')).toEqual({ text: 'dog: a domesticated ', kind: 'continuation', maxNewTokens: 32, trimmed: false });
    expect(buildPrompt('the quick brown fox jumps')).toMatchObject({ text: 'the quick brown fox jumps ', kind: 'continuation' });
    expect(buildPrompt('what is the best way to cook rice')).toMatchObject({ text: 'what is the best way to cook rice ', kind: 'continuation' });
  });

  it('cuts a long message at a word boundary to MAX_PROMPT_CHARS, leaving room for the reply', () => {
    const long = buildPrompt('the history of the byzantine empire from constantine to the fall of constantinople', 40);
    // 'the history of the byzantine empire from' is 40 characters: one too many with its trailing space.
    expect(long).toEqual({ text: 'the history of the byzantine empire ', kind: 'continuation', maxNewTokens: 28, trimmed: true });
    const lemma = buildPrompt('pneumonoultramicroscopicsilicovolcanoconiosis and more:', 32);
    expect(lemma.kind).toBe('definition');
    expect(lemma.text).toBe('pneumonoultramicroscopicsilicovolcanoc: '); // no word boundary in reach: a hard cut
    expect(lemma.text).toHaveLength(MAX_PROMPT_CHARS);
    expect(lemma).toMatchObject({ trimmed: true, maxNewTokens: 24 });
  });

  it('keeps every prompt within the limits, for any message and reply length', () => {
    const rng = new SeededRng(11);
    const pool = 'abcdefghij klmnop: ?!,;.()/é🐶-\'\t';
    for (let trial = 0; trial < 2000; trial++) {
      const length = 1 + rng.int(120);
      let message = '';
      for (let i = 0; i < length; i++) message += pool[rng.int(pool.length)];
      const reply = 1 + rng.int(MODEL_SEQ_LEN - 1);
      let prompt;
      try {
        prompt = buildPrompt(message, reply);
      } catch (error) {
        expect(isMicroLoraError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
        expect(normalizeMessage(message).replace(/[:\s]/g, '')).toBe('');
        continue;
      }
      expect(prompt.text.length, JSON.stringify(message)).toBeGreaterThan(1);
      expect(prompt.text.length).toBeLessThanOrEqual(MAX_PROMPT_CHARS);
      expect([...prompt.text].every((ch) => MODEL_ALPHABET.includes(ch))).toBe(true);
      expect(prompt.text.endsWith(prompt.kind === 'definition' ? ': ' : ' ')).toBe(true);
      expect(prompt.maxNewTokens).toBe(Math.min(reply, MODEL_SEQ_LEN - prompt.text.length));
      expect(prompt.maxNewTokens).toBeGreaterThanOrEqual(Math.min(reply, MIN_REPLY_CHARS));
      expect(prompt.text.length + prompt.maxNewTokens).toBeLessThanOrEqual(MODEL_SEQ_LEN);
    }
  });

  it('rejects an empty message and a reply length the model cannot give', () => {
    expect(codeOf(() => buildPrompt(''))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => buildPrompt('  ?! 🐶 :'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => buildPrompt(42 as unknown as string))).toBe('INVALID_ARGUMENT');
    for (const bad of [0, 64, 2.5, Number.NaN, -1]) expect(codeOf(() => buildPrompt('dog', bad))).toBe('OUT_OF_RANGE');
    expect(buildPrompt('dog', 63).maxNewTokens).toBe(59);
  });
});
