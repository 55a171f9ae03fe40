import { describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import { HashingEmbedder } from '@microlora/embed';

// An independent, deliberately naive re-implementation of the documented feature
// scheme (strings, Maps, Math.log, float64) to check the optimised one against.
function mixStep(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
function seedHash(seed: number | string): number {
  if (typeof seed === 'number') return finalMix((seed ^ Math.floor(seed / 2 ** 32)) | 0);
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  return finalMix(h);
}
function referenceEmbed(text: string, dimension = 768, seed: number | string = 0): Float64Array {
  const base = seedHash(seed);
  const wordSeed = finalMix(base ^ 0x2c1b3c6d);
  const bigramSeed = finalMix(base ^ 0x297a2d39);
  const charSeed = finalMix(base ^ 0x5f356495);
  const words = (text.match(/[\p{L}\p{N}\p{M}]+/gu) ?? []).map((w) =>
    [...w].map((ch) => ch.toLowerCase().codePointAt(0)!),
  );
  const counts = new Map<number, number>();
  const add = (f: number): void => void counts.set(f, (counts.get(f) ?? 0) + 1);
  let previous: number | undefined;
  for (const word of words) {
    const wordHash = finalMix(word.reduce(mixStep, wordSeed) ^ word.length);
    add(wordHash);
    if (previous !== undefined) add(finalMix(mixStep(mixStep(bigramSeed, previous | 0), wordHash | 0)));
    previous = wordHash;
    const padded = [0x3c, ...word, 0x3e];
    for (let n = 3; n <= 5; n++) {
      for (let s = 0; s + n <= padded.length; s++) {
        add(finalMix(padded.slice(s, s + n).reduce(mixStep, charSeed) ^ n));
      }
    }
  }
  const v = new Float64Array(dimension);
  for (const [f, tf] of counts) {
    const bucket = Math.floor((f * dimension) / 2 ** 32);
    v[bucket]! += (f & 1 ? -1 : 1) * (1 + Math.log(tf));
  }
  const norm = Math.hypot(...v);
  return norm === 0 ? v : v.map((x) => x / norm);
}

const cosine = (a: Float32Array, b: Float32Array): number => {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
};
const norm = (a: Float32Array): number => Math.sqrt(cosine(a, a));

const TEXTS = [
  'The quick brown fox jumps over the lazy dog',
  'the the the THE The tHe cat',
  'Ünïcödé ΣΊΣΥΦΟΣ 𐐀𐐁 café naïve — e\u0301cole 東京タワー 123 4.56',
  'a',
  'x y',
  "don't stop-me now!!! (really) https://example.com/a_b?c=1",
  'supercalifragilisticexpialidocious '.repeat(30),
];

describe('HashingEmbedder', () => {
  it('matches a naive float64 reference of the documented feature scheme', () => {
    for (const [dimension, seed] of [
      [768, 0],
      [64, 'tenant-7'],
      [1000, 123_456_789_012],
    ] as const) {
      const embedder = new HashingEmbedder({ dimension, seed });
      for (const text of TEXTS) {
        const got = embedder.embed(text);
        const want = referenceEmbed(text, dimension, seed);
        expect(got.length).toBe(dimension);
        for (let i = 0; i < dimension; i++) expect(got[i]).toBeCloseTo(want[i]!, 6);
      }
    }
  });

  it('reproduces frozen known answers (catches any change to tokenisation or hashing)', () => {
    const v = new HashingEmbedder().embed('The quick brown fox jumps over the lazy dog');
    const nonZero: [number, number][] = [];
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) nonZero.push([i, v[i]!]);
    expect(nonZero.length).toBe(77);
    expect(nonZero.slice(0, 8)).toEqual([
      [21, -0.16518136858940125],
      [25, -0.09755878150463104],
      [40, 0.09755878150463104],
      [43, -0.09755878150463104],
      [95, -0.16518136858940125],
      [96, -0.09755878150463104],
      [97, 0.09755878150463104],
      [103, -0.09755878150463104],
    ]);
    expect(Array.from(new HashingEmbedder({ dimension: 16, seed: 'x' }).embed('Ünïcödé ΣΊΣΥΦΟΣ 𐐀𐐁 café'))).toEqual([
      -0.3713906705379486, -0.3713906705379486, 0, 0.3713906705379486, -0.3713906705379486, 0, 0.1856953352689743, 0,
      0.1856953352689743, 0.3713906705379486, 0, 0, -0.3713906705379486, -0.1856953352689743, 0.1856953352689743,
      -0.1856953352689743,
    ]);
  });

  it('is deterministic across instances, calls and entry points', () => {
    const a = new HashingEmbedder({ seed: 42 });
    const b = new HashingEmbedder({ seed: 42 });
    const out = new Float32Array(768);
    for (const text of TEXTS) {
      const first = a.embed(text);
      a.embed('something else entirely to dirty the internal tables');
      expect(a.embed(text)).toEqual(first);
      expect(b.embed(text)).toEqual(first);
      expect(a.embedInto(text, out)).toBe(out);
      expect(out).toEqual(first);
    }
    expect(a.embedBatch(TEXTS)).toEqual(TEXTS.map((t) => b.embed(t)));
  });

  it('different seeds give different vectors', () => {
    const text = 'retrieval augmented adapters';
    expect(new HashingEmbedder({ seed: 1 }).embed(text)).not.toEqual(new HashingEmbedder({ seed: 2 }).embed(text));
  });

  it('has unit norm, and zero for text without word characters', () => {
    const e = new HashingEmbedder();
    for (const text of TEXTS) expect(norm(e.embed(text))).toBeCloseTo(1, 6);
    for (const text of ['', '   ', '!!! ... ---', '\uD800']) {
      expect(e.embed(text).every((x) => x === 0)).toBe(true);
      expect(e.hasFeatures(text)).toBe(false);
    }
    expect(e.hasFeatures('  x ')).toBe(true);
  });

  it('case-folds and ignores punctuation and spacing', () => {
    const e = new HashingEmbedder();
    expect(e.embed('Hello, World!')).toEqual(e.embed('hello   world'));
    expect(e.embed('ΣΊΣΥΦΟΣ')).toEqual(e.embed('σίσυφοσ'));
  });

  it('ranks similar texts above unrelated ones', () => {
    const e = new HashingEmbedder();
    const query = e.embed('how to reset my account password');
    const similar = e.embed('resetting the password of an account');
    const unrelated = e.embed('the weather in Lisbon is sunny this afternoon');
    const morphological = e.embed('passwords reset accounts');
    expect(cosine(query, similar)).toBeGreaterThan(cosine(query, unrelated) + 0.2);
    expect(cosine(query, morphological)).toBeGreaterThan(cosine(query, unrelated) + 0.2);
    // Word order matters through bigrams only: same words, different order stays very close.
    expect(cosine(e.embed('red car fast'), e.embed('fast car red'))).toBeGreaterThan(0.8);
    expect(cosine(e.embed('red car fast'), e.embed('fast car red'))).toBeLessThan(1 - 1e-6);
  });

  it('weights repeated features by 1 + ln(tf), not tf', () => {
    // A single-letter word has exactly 2 features: its unigram and the 3-gram "<x>".
    const e = new HashingEmbedder({ dimension: 65536 });
    const once = e.embed('x');
    const many = e.embed('x x x x x x x x'); // tf = 8 for both, plus 7 bigram "x x" occurrences
    const reference = referenceEmbed('x x x x x x x x', 65536);
    const nonZeroOnce = [...once.keys()].filter((i) => once[i] !== 0);
    expect(nonZeroOnce.length).toBe(2);
    const nonZeroMany = [...many.keys()].filter((i) => many[i] !== 0);
    expect(nonZeroMany.length).toBe(3);
    const magnitudes = nonZeroMany.map((i) => Math.abs(many[i]!)).sort((a, b) => a - b);
    const w7 = 1 + Math.log(7);
    const w8 = 1 + Math.log(8);
    const n = Math.sqrt(w7 * w7 + 2 * w8 * w8);
    expect(magnitudes[0]).toBeCloseTo(w7 / n, 6);
    expect(magnitudes[2]).toBeCloseTo(w8 / n, 6);
    for (const i of nonZeroMany) expect(many[i]).toBeCloseTo(reference[i]!, 6);
  });

  it('honours the dimension option', () => {
    for (const dimension of [1, 7, 256, 1536]) {
      const e = new HashingEmbedder({ dimension });
      expect(e.dimension).toBe(dimension);
      expect(e.embed('some text here').length).toBe(dimension);
    }
    expect(new HashingEmbedder().dimension).toBe(768);
  });

  it('rejects bad input with typed errors', () => {
    const e = new HashingEmbedder({ dimension: 8 });
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        return isMicroLoraError(err) ? err.code : `untyped: ${String(err)}`;
      }
      return undefined;
    };
    expect(code(() => e.embed(42 as unknown as string))).toBe('INVALID_ARGUMENT');
    expect(code(() => e.embed(null as unknown as string))).toBe('INVALID_ARGUMENT');
    expect(code(() => e.embedInto('x', new Float32Array(9)))).toBe('DIMENSION_MISMATCH');
    expect(code(() => e.embedInto('x', new Float64Array(8) as unknown as Float32Array))).toBe('INVALID_ARGUMENT');
    expect(code(() => e.embedBatch(['ok', 3 as unknown as string]))).toBe('INVALID_ARGUMENT');
    expect(code(() => e.embedBatch('abc' as unknown as string[]))).toBe('INVALID_ARGUMENT');
    expect(code(() => new HashingEmbedder({ dimension: 0 }))).toBe('OUT_OF_RANGE');
    expect(code(() => new HashingEmbedder({ dimension: 1.5 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => new HashingEmbedder({ seed: 0.5 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => new HashingEmbedder({ seed: {} as unknown as string }))).toBe('INVALID_ARGUMENT');
  });

  it('handles very long texts (table growth) identically to the reference', () => {
    const words = Array.from({ length: 3000 }, (_, i) => `w${(i * 7919) % 5003}x${i % 13}`).join(' ');
    const e = new HashingEmbedder({ dimension: 128 });
    const got = e.embed(words);
    const want = referenceEmbed(words, 128);
    for (let i = 0; i < 128; i++) expect(got[i]).toBeCloseTo(want[i]!, 6);
    // And still right for a small text afterwards.
    const small = e.embed('tiny');
    const smallWant = referenceEmbed('tiny', 128);
    for (let i = 0; i < 128; i++) expect(small[i]).toBeCloseTo(smallWant[i]!, 6);
  });
});
