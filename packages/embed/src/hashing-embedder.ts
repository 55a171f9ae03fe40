import { MicroLoraError, assertDimension, type Seed } from '@microlora/core';
import { deterministicLog } from './deterministic-log.js';
import { assertOutput, assertText, assertTexts, type Embedder } from './embedder.js';
import { FeatureCounter } from './feature-counter.js';
import { finalMix, hashSeed, mixStep } from './feature-hash.js';
import { ASCII_FOLD, foldWordChar } from './unicode-classes.js';

export interface HashingEmbedderOptions {
  /** Output length. Default 768. Integer in [1, 65536]. */
  dimension?: number;
  /** Changes every hash (a different, equally good random projection). Default 0. */
  seed?: Seed;
}

/** Word boundary markers padded around each word before taking character n-grams ("<word>"). */
const WORD_START = 0x3c; // '<'
const WORD_END = 0x3e; // '>'
const MIN_CHAR_GRAM = 3;
/** Largest tf whose 1 + ln(tf) weight is cached. */
const TF_CACHE = 256;

/**
 * A fast text embedder by signed feature hashing: word unigrams and bigrams plus
 * character 3-, 4- and 5-grams of each word padded as "<word>", weighted by
 * sublinear term frequency (1 + ln tf) and L2-normalised.
 *
 * Tokenisation: a word is a maximal run of Unicode letters, numbers and combining
 * marks (`[\p{L}\p{N}\p{M}]`); each code point is lower-cased on its own with
 * `toLowerCase()` (no locale, no context rules). Every hash is pure 32-bit integer
 * arithmetic and the weights avoid `Math.log`, so the output is bit-identical in
 * Node and in browsers.
 *
 * Text without a single word character (empty, whitespace, punctuation) embeds to
 * the **zero vector** — it has no features. A cosine index rejects a zero vector,
 * so check {@link HashingEmbedder.hasFeatures} (or `MicroLoraBank.retrieve`, which
 * returns no patterns for a zero query) before indexing such text.
 */
export class HashingEmbedder implements Embedder {
  readonly dimension: number;
  readonly seed: Seed;
  private readonly wordSeed: number;
  private readonly bigramSeed: number;
  private readonly charSeed: number;
  private readonly counter = new FeatureCounter(1024);
  private readonly accumulator: Float64Array;
  /** Buckets written by the current text, in first-touch order, and their generation stamps. */
  private readonly touched: Int32Array;
  private readonly bucketStamps: Uint32Array;
  private generation = 0;
  private readonly tfWeight = new Float64Array(TF_CACHE + 1);
  /** Current word as padded code points: [WORD_START, …folded code points…, WORD_END]. */
  private word = new Int32Array(64);
  private wordLength = 0;
  private previousWordHash = 0;
  private hasPreviousWord = false;

  constructor(options: HashingEmbedderOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new MicroLoraError(
        'INVALID_ARGUMENT',
        'HashingEmbedder options must be an object, e.g. { dimension: 768 }',
      );
    }
    const dimension = options.dimension ?? 768;
    assertDimension('dimension', dimension);
    const seed = options.seed ?? 0;
    if (typeof seed === 'number') {
      if (!Number.isSafeInteger(seed)) {
        throw new MicroLoraError('INVALID_ARGUMENT', `seed must be a safe integer or a string, got ${seed}`, {
          details: { seed },
        });
      }
    } else if (typeof seed !== 'string') {
      throw new MicroLoraError('INVALID_ARGUMENT', `seed must be a safe integer or a string, got ${typeof seed}`, {
        details: { seed },
      });
    }
    this.dimension = dimension;
    this.seed = seed;
    const base = hashSeed(seed);
    this.wordSeed = finalMix(base ^ 0x2c1b3c6d);
    this.bigramSeed = finalMix(base ^ 0x297a2d39);
    this.charSeed = finalMix(base ^ 0x5f356495);
    this.accumulator = new Float64Array(dimension);
    this.touched = new Int32Array(dimension);
    this.bucketStamps = new Uint32Array(dimension);
    for (let tf = 1; tf <= TF_CACHE; tf++) this.tfWeight[tf] = 1 + deterministicLog(tf);
  }

  embed(text: string): Float32Array {
    assertText(text);
    return this.embedUnchecked(text, new Float32Array(this.dimension));
  }

  /** Allocation-free once the internal tables have grown to the largest text seen. */
  embedInto(text: string, out: Float32Array): Float32Array {
    assertText(text);
    assertOutput(out, this.dimension);
    return this.embedUnchecked(text, out);
  }

  embedBatch(texts: readonly string[]): Float32Array[] {
    assertTexts(texts);
    const result = new Array<Float32Array>(texts.length);
    for (let i = 0; i < texts.length; i++) {
      result[i] = this.embedUnchecked(texts[i] as string, new Float32Array(this.dimension));
    }
    return result;
  }

  /** True when `text` contains at least one word character (so its embedding is not zero). */
  hasFeatures(text: string): boolean {
    assertText(text);
    for (let i = 0; i < text.length; i++) {
      const cp = text.codePointAt(i) as number;
      if (cp > 0xffff) i++;
      if ((cp < 0x80 ? (ASCII_FOLD[cp] as number) : foldWordChar(cp)) >= 0) return true;
    }
    return false;
  }

  private embedUnchecked(text: string, out: Float32Array): Float32Array {
    this.countFeatures(text);
    this.project(out);
    return out;
  }

  private countFeatures(text: string): void {
    this.counter.clear();
    this.hasPreviousWord = false;
    this.wordLength = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      let cp = text.charCodeAt(i);
      let folded: number;
      if (cp < 0x80) {
        folded = ASCII_FOLD[cp] as number;
      } else {
        if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
          const low = text.charCodeAt(i + 1);
          if (low >= 0xdc00 && low <= 0xdfff) {
            cp = ((cp - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
            i++;
          }
        }
        folded = foldWordChar(cp);
      }
      if (folded >= 0) {
        this.pushChar(folded);
      } else if (this.wordLength > 0) {
        this.flushWord();
      }
    }
    if (this.wordLength > 0) this.flushWord();
  }

  private pushChar(cp: number): void {
    // +2 leaves room for the end marker.
    if (this.wordLength + 2 >= this.word.length) {
      const grown = new Int32Array(this.word.length * 2);
      grown.set(this.word);
      this.word = grown;
    }
    this.word[++this.wordLength] = cp;
  }

  /** Emits the features of the word in `this.word[1..wordLength]`. */
  private flushWord(): void {
    const word = this.word;
    const length = this.wordLength;
    const counter = this.counter;
    let h = this.wordSeed;
    for (let j = 1; j <= length; j++) h = mixStep(h, word[j] as number);
    const wordHash = finalMix(h ^ length);
    counter.add(wordHash);
    if (this.hasPreviousWord) {
      counter.add(finalMix(mixStep(mixStep(this.bigramSeed, this.previousWordHash), wordHash)));
    }
    this.previousWordHash = wordHash;
    this.hasPreviousWord = true;

    // Character n-grams of "<word>": for each start, extend one hash to 3, 4, 5 code points.
    word[0] = WORD_START;
    word[length + 1] = WORD_END;
    const padded = length + 2;
    const charSeed = this.charSeed;
    for (let start = 0; start + MIN_CHAR_GRAM <= padded; start++) {
      let g = mixStep(charSeed, word[start] as number);
      g = mixStep(g, word[start + 1] as number);
      g = mixStep(g, word[start + 2] as number);
      counter.add(finalMix(g ^ 3));
      if (start + 3 < padded) {
        g = mixStep(g, word[start + 3] as number);
        counter.add(finalMix(g ^ 4));
        if (start + 4 < padded) {
          g = mixStep(g, word[start + 4] as number);
          counter.add(finalMix(g ^ 5));
        }
      }
    }
    this.wordLength = 0;
  }

  /** Signed projection of the counted features into `out`, then L2 normalisation. */
  private project(out: Float32Array): void {
    // Only touched buckets are visited, so the cost scales with the text, not the dimension.
    const acc = this.accumulator;
    const touched = this.touched;
    const stamps = this.bucketStamps;
    const dimension = this.dimension;
    const counter = this.counter;
    const distinct = counter.distinct;
    let generation = (this.generation + 1) >>> 0;
    if (generation === 0) {
      stamps.fill(0);
      generation = 1;
    }
    this.generation = generation;
    let touchedCount = 0;
    for (let i = 0; i < distinct; i++) {
      const hash = counter.keyAt(i);
      const tf = counter.countAt(i);
      const weight = tf <= TF_CACHE ? (this.tfWeight[tf] as number) : 1 + deterministicLog(tf);
      // High bits pick the bucket, the low bit the sign (independent after finalMix).
      const bucket = Math.floor(((hash >>> 0) * dimension) / 0x1_0000_0000);
      if (stamps[bucket] !== generation) {
        stamps[bucket] = generation;
        touched[touchedCount++] = bucket;
        acc[bucket] = 0;
      }
      acc[bucket] = (acc[bucket] as number) + ((hash & 1) === 0 ? weight : -weight);
    }
    let sumSquares = 0;
    for (let t = 0; t < touchedCount; t++) {
      const v = acc[touched[t] as number] as number;
      sumSquares += v * v;
    }
    out.fill(0);
    if (sumSquares === 0) return;
    const inverseNorm = 1 / Math.sqrt(sumSquares);
    for (let t = 0; t < touchedCount; t++) {
      const bucket = touched[t] as number;
      out[bucket] = (acc[bucket] as number) * inverseNorm;
    }
  }
}
