import { MicroLoraError } from '@microlora/core';

/**
 * Turns text into a fixed-length vector. Implementations are synchronous and
 * deterministic: the same text always gives the same vector.
 */
export interface Embedder {
  /** Length of every vector this embedder produces. */
  readonly dimension: number;
  /** A new vector for `text`. */
  embed(text: string): Float32Array;
  /** Writes the vector for `text` into `out` (length `dimension`) and returns `out`. */
  embedInto(text: string, out: Float32Array): Float32Array;
  /** One new vector per text, in order. */
  embedBatch(texts: readonly string[]): Float32Array[];
}

/** `text` must be a string; INVALID_ARGUMENT otherwise. */
export function assertText(text: unknown, name = 'text'): asserts text is string {
  if (typeof text !== 'string') {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `${name} must be a string, got ${text === null ? 'null' : typeof text}; convert it with String(value) first`,
      { details: { name, type: typeof text } },
    );
  }
}

/** `out` must be a Float32Array of length `dimension`. */
export function assertOutput(out: unknown, dimension: number): asserts out is Float32Array {
  if (!(out instanceof Float32Array)) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `out must be a Float32Array of length ${dimension}, got ${Object.prototype.toString.call(out)}`,
      { details: { name: 'out', expected: dimension } },
    );
  }
  if (out.length !== dimension) {
    throw new MicroLoraError(
      'DIMENSION_MISMATCH',
      `out has length ${out.length} but this embedder produces ${dimension} dimensions; allocate new Float32Array(${dimension})`,
      { details: { name: 'out', actual: out.length, expected: dimension } },
    );
  }
}

/** `texts` must be an array of strings. */
export function assertTexts(texts: unknown): asserts texts is readonly string[] {
  if (!Array.isArray(texts)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `texts must be an array of strings, got ${typeof texts}`, {
      details: { name: 'texts' },
    });
  }
  for (let i = 0; i < texts.length; i++) assertText(texts[i], `texts[${i}]`);
}
