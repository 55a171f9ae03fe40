import { MicroLoraError, assertDimension, assertInteger, isMicroLoraError, type Clock, type Pattern, type TimestepRange } from '@microlora/core';
import { HashingEmbedder, type Embedder } from '@microlora/embed';
import { getBackend, type SimdOps } from '@microlora/simd';
import type { ComposerSetting, InterpolationSetting, TaloraBankOptions, VectorIndex } from '@microlora/talora';
import { createFlatIndex } from '@microlora/vector-index';
import { createHammingIndex } from '@microlora/vector-index-hamming';
// Importing it registers the WASM SIMD backend (priority 2); where SIMD128 is missing the registry falls back to "js".
import { createWasmBackend } from '@microlora/simd-wasm';

/** Makes the empty index of one timestep bank. */
export type IndexFactory = (bank: number, range: TimestepRange) => VectorIndex;

/**
 * - 'fast' (default): the approximate Hamming index (@microlora/vector-index-hamming), or the
 *   exact flat index where WebAssembly SIMD128 is missing (see MicroLora.indexFallbackReason);
 * - 'exact': the exact flat index (@microlora/vector-index), the ground truth;
 * - a factory for any other VectorIndex (give the same factory to loadMicroLora).
 */
export type IndexSetting = 'fast' | 'exact' | IndexFactory;

export interface MicroLoraOptions {
  /** Embedding length (of the default embedder and of every bank). Default: the embedder's, else 768. */
  dimension?: number;
  /** Features of the adapted hidden states; adapters are hiddenSize → hiddenSize. Default 768. */
  hiddenSize?: number;
  /** Turns query text into embeddings. Default new HashingEmbedder({ dimension }). */
  embedder?: Embedder;
  /** Vector index of every bank. Default 'fast'. */
  index?: IndexSetting;
  /** SIMD backend name ('wasm', 'js', …) or object. Default: the best registered one (wasm where SIMD128 works). */
  backend?: string | SimdOps;
  /** Timestep boundaries of the TALoRA banks. Default [0, 1/3, 2/3, 1]. */
  boundaries?: readonly number[];
  /** Capacity of each bank. Default 10 000. */
  maxPatternsPerBank?: number;
  /** Other bank settings (scoring weights, recency half-life, oversample, minSimilarity, maxRank, …). */
  bank?: Omit<TaloraBankOptions, 'createIndex' | 'dimension' | 'maxPatterns'>;
  /** Default 'discrete' (the bank holding t, k = 5). */
  interpolation?: InterpolationSetting;
  /** Default 'weighted-average' (exact). */
  composer?: ComposerSetting;
  clock?: Clock;
  /** Called once per evicted pattern. */
  onEvict?: (pattern: Pattern) => void;
}

export const DEFAULT_HIDDEN_SIZE = 768;
export const DEFAULT_MAX_PATTERNS_PER_BANK = 10_000;

/** The index kinds a saved MicroLoRA records (a factory is 'custom'). */
export type IndexKind = 'hamming' | 'flat' | 'custom';

export interface ResolvedIndex {
  kind: IndexKind;
  create: IndexFactory;
  /** Why 'fast' fell back to the exact flat index (no WebAssembly SIMD here), if it did. */
  fallbackReason?: string;
}

export function resolveIndex(setting: unknown, dimension: number): ResolvedIndex {
  const value = setting ?? 'fast';
  const flat: IndexFactory = () => createFlatIndex({ dimension, metric: 'cosine' });
  if (value === 'fast') {
    try {
      // Compiles the kernels once; throws BACKEND_UNAVAILABLE where WebAssembly SIMD128 is missing.
      createHammingIndex({ dimension, metric: 'cosine', capacity: 1 });
    } catch (cause) {
      if (!isMicroLoraError(cause, 'BACKEND_UNAVAILABLE')) throw cause;
      return { kind: 'flat', create: flat, fallbackReason: cause.message };
    }
    return { kind: 'hamming', create: () => createHammingIndex({ dimension, metric: 'cosine' }) };
  }
  if (value === 'exact') return { kind: 'flat', create: flat };
  if (typeof value === 'function') return { kind: 'custom', create: value as IndexFactory };
  throw new MicroLoraError(
    'INVALID_ARGUMENT',
    `index must be 'fast', 'exact' or a function (bank, range) => VectorIndex, got ${JSON.stringify(value)}`,
    { details: { index: value } },
  );
}

/**
 * The backend for the request path. For the wasm backend (the default where it works) a
 * dedicated instance without the adapter cache: every composite is a new LoraWeights, so the
 * shared instance's identity cache would only add upload bookkeeping (WeakRef, finalizer,
 * eviction) where a plain copy into scratch suffices: a scratch run of the cold request loop
 * measured compose + apply at ≈ 36 µs p50 with the cache and ≈ 24 µs without.
 */
export function resolveBackend(setting: unknown): SimdOps {
  if (setting === undefined || setting === 'wasm') {
    const best = getBackend(setting);
    return best.name === 'wasm' ? createWasmBackend({ adapterCacheBytes: 0 }) : best;
  }
  if (typeof setting === 'string') return getBackend(setting);
  const b = setting as Partial<SimdOps> | null;
  if (typeof b === 'object' && b !== null && typeof b.loraApply === 'function' && typeof b.loraApplyBatch === 'function') {
    return b as SimdOps;
  }
  throw new MicroLoraError('INVALID_ARGUMENT', 'backend must be a backend name such as "wasm" or "js", or a SimdOps object');
}

export function resolveEmbedder(embedder: unknown, dimension: unknown): Embedder {
  if (embedder === undefined) {
    const d = dimension ?? 768;
    assertDimension('dimension', d);
    return new HashingEmbedder({ dimension: d });
  }
  const e = embedder as Partial<Embedder> | null;
  if (typeof e !== 'object' || e === null || typeof e.embedInto !== 'function' || typeof e.embed !== 'function') {
    throw new MicroLoraError('INVALID_ARGUMENT', 'embedder must implement the Embedder contract of @microlora/embed (dimension, embed, embedInto, embedBatch)');
  }
  assertDimension('embedder.dimension', e.dimension);
  if (dimension !== undefined && dimension !== e.dimension) {
    throw new MicroLoraError(
      'DIMENSION_MISMATCH',
      `dimension ${String(dimension)} differs from the embedder's dimension ${e.dimension}; omit dimension or make them equal`,
      { details: { dimension, embedderDimension: e.dimension } },
    );
  }
  return e as Embedder;
}

export function resolveCapacity(value: unknown): number {
  const capacity = value ?? DEFAULT_MAX_PATTERNS_PER_BANK;
  assertInteger('maxPatternsPerBank', capacity, 1, 1 << 28);
  return capacity;
}
