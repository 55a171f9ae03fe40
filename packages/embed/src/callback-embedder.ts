import { MicroLoraError, assertDimension } from '@microlora/core';
import { assertOutput, assertText, assertTexts, type Embedder } from './embedder.js';

export interface CallbackEmbedderOptions {
  /** Length every vector returned by `embed` must have. */
  dimension: number;
  /** Your model: text → vector (a Float32Array or a plain number array). Must be synchronous. */
  embed: (text: string) => Float32Array | readonly number[];
  /** Optional batched model call; defaults to calling `embed` per text. */
  embedBatch?: (texts: readonly string[]) => readonly (Float32Array | readonly number[])[];
  /** Scale every vector to unit length (a zero vector stays zero). Default false. */
  normalize?: boolean;
}

/**
 * Wraps any synchronous model (an ONNX session, a WASM model, a cache of
 * precomputed vectors, …) as an {@link Embedder}. Every returned vector is
 * checked: wrong length → DIMENSION_MISMATCH, NaN/Infinity → NON_FINITE, not an
 * array → INVALID_ARGUMENT. An asynchronous model embeds first and then passes
 * its vectors to the bank directly; the Embedder contract is synchronous.
 */
export function createCallbackEmbedder(options: CallbackEmbedderOptions): Embedder {
  if (typeof options !== 'object' || options === null) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'createCallbackEmbedder needs { dimension, embed }');
  }
  const { dimension, embed, embedBatch, normalize = false } = options;
  assertDimension('dimension', dimension);
  if (typeof embed !== 'function') {
    throw new MicroLoraError('INVALID_ARGUMENT', `embed must be a function (text) => vector, got ${typeof embed}`);
  }
  if (embedBatch !== undefined && typeof embedBatch !== 'function') {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `embedBatch must be a function or undefined, got ${typeof embedBatch}`,
    );
  }

  const copyChecked = (vector: unknown, out: Float32Array, what: string): Float32Array => {
    if (!(vector instanceof Float32Array) && !Array.isArray(vector)) {
      throw new MicroLoraError(
        'INVALID_ARGUMENT',
        `the embed callback returned ${Object.prototype.toString.call(
          vector,
        )} for ${what}; return a Float32Array or number[]`,
        { details: { what } },
      );
    }
    const values = vector as ArrayLike<unknown>;
    if (values.length !== dimension) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `the embed callback returned ${values.length} values for ${what}, but the embedder was declared with dimension ${dimension}`,
        { details: { what, actual: values.length, expected: dimension } },
      );
    }
    let sumSquares = 0;
    for (let i = 0; i < dimension; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new MicroLoraError(
          typeof v === 'number' ? 'NON_FINITE' : 'INVALID_ARGUMENT',
          `the embed callback returned ${String(v)} at index ${i} for ${what}; every value must be a finite number`,
          { details: { what, index: i } },
        );
      }
      out[i] = v;
      sumSquares += v * v;
    }
    if (normalize && sumSquares > 0) {
      const inverseNorm = 1 / Math.sqrt(sumSquares);
      for (let i = 0; i < dimension; i++) out[i] = (out[i] as number) * inverseNorm;
    }
    return out;
  };

  return {
    dimension,
    embed(text: string): Float32Array {
      assertText(text);
      return copyChecked(embed(text), new Float32Array(dimension), 'text');
    },
    embedInto(text: string, out: Float32Array): Float32Array {
      assertText(text);
      assertOutput(out, dimension);
      return copyChecked(embed(text), out, 'text');
    },
    embedBatch(texts: readonly string[]): Float32Array[] {
      assertTexts(texts);
      if (embedBatch === undefined) {
        return texts.map((text, i) => copyChecked(embed(text), new Float32Array(dimension), `texts[${i}]`));
      }
      const vectors = embedBatch(texts);
      if (!Array.isArray(vectors) || vectors.length !== texts.length) {
        throw new MicroLoraError(
          'DIMENSION_MISMATCH',
          `the embedBatch callback must return one vector per text (${texts.length}), got ${
            Array.isArray(vectors) ? vectors.length : typeof vectors
          }`,
          { details: { expected: texts.length } },
        );
      }
      return vectors.map((v, i) => copyChecked(v, new Float32Array(dimension), `texts[${i}]`));
    },
  };
}
