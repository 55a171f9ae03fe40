import {
  MICRO_RANK_MAX,
  MicroLoraError,
  RANK_LIMIT,
  assertDimension,
  assertFiniteNumber,
  assertInteger,
  assertRank,
  assertTimestepRange,
  systemClock,
  type Clock,
  type Pattern,
  type TimestepRange,
} from '@microlora/core';
import { createFlatIndex, type VectorIndex } from '@microlora/vector-index';

/** Weights of the blended retrieval score; normalised to sum to 1. */
export interface ScoringWeights {
  similarity: number;
  quality: number;
  recency: number;
}

/**
 * Which patterns a bank accepts by timestep range:
 * - `overlap` (default): any range that intersects the bank's (closed intervals);
 * - `contain`: only ranges that lie entirely inside the bank's.
 */
export type TimestepPolicy = 'overlap' | 'contain';

export interface MicroLoraBankOptions {
  /** Timesteps this bank serves, [start, end] within [0, 1]. */
  timestepRange: TimestepRange;
  /** Capacity; inserting beyond it evicts the least recently used pattern. */
  maxPatterns: number;
  /** An EMPTY vector index to use. Default: an exact flat cosine index of `dimension`. */
  index?: VectorIndex;
  /** Embedding length. Default: the index's dimension, else 768. */
  dimension?: number;
  /** Default { similarity: 0.5, quality: 0.3, recency: 0.2 }; all three required, ≥ 0, not all 0. */
  scoring?: ScoringWeights;
  /** Age at which the recency term halves. Default 7 days. */
  recencyHalfLifeMs?: number;
  /** Time source for recency, lastUsed and createdAt. Default the system clock. */
  clock?: Clock;
  /** Retrieval searches k × oversample candidates before re-ranking. Default 4. */
  oversample?: number;
  /**
   * Candidates whose similarity mapped to [0, 1] (as in RetrievedPattern.similarity)
   * is below this are dropped before scoring. Default 0 (none): with the default
   * weights, quality and recency can otherwise lift an unrelated pattern above a
   * close one when the bank holds few candidates.
   */
  minSimilarity?: number;
  /** Largest rank a stored pattern may have. Default 4 (micro-adapters). */
  maxRank?: number;
  /** Default 'overlap'. */
  timestepPolicy?: TimestepPolicy;
  /** Owner recorded in the default (private, no consent) sharing policy. Default 'local'. */
  defaultOwnerId?: string;
  /** Retrieval latencies kept for stats() percentiles. Default 1024. */
  latencyWindow?: number;
  /** Called with each evicted pattern (after it left the bank), e.g. to archive it. */
  onEvict?: (pattern: Pattern) => void;
}

export const DEFAULT_SCORING: Readonly<ScoringWeights> = Object.freeze({ similarity: 0.5, quality: 0.3, recency: 0.2 });
export const DEFAULT_DIMENSION = 768;
export const DEFAULT_HALF_LIFE_MS = 7 * 24 * 3600 * 1000;
export const DEFAULT_OVERSAMPLE = 4;
export const DEFAULT_LATENCY_WINDOW = 1024;
/** Guards allocations driven by options (and by loaded files). */
export const MAX_PATTERNS_LIMIT = 1 << 28;
export const OVERSAMPLE_LIMIT = 1024;
export const LATENCY_WINDOW_LIMIT = 1 << 20;

/** The options a bank keeps (and saves): everything except the index, clock and callback. */
export interface ResolvedBankSettings {
  timestepRange: TimestepRange;
  maxPatterns: number;
  dimension: number;
  /** Normalised to sum to 1. */
  scoring: Readonly<ScoringWeights>;
  recencyHalfLifeMs: number;
  oversample: number;
  minSimilarity: number;
  maxRank: number;
  timestepPolicy: TimestepPolicy;
  defaultOwnerId: string;
  latencyWindow: number;
}

export interface ResolvedBankOptions extends ResolvedBankSettings {
  index: VectorIndex;
  clock: Clock;
  onEvict: ((pattern: Pattern) => void) | undefined;
}

function invalid(message: string, details: Record<string, unknown> = {}): MicroLoraError {
  return new MicroLoraError('INVALID_ARGUMENT', message, { details });
}

/** Validates scoring weights and returns them normalised to sum to 1. */
export function resolveScoring(scoring: unknown): Readonly<ScoringWeights> {
  if (typeof scoring !== 'object' || scoring === null) {
    throw invalid('scoring must be an object { similarity, quality, recency } of non-negative weights');
  }
  const s = scoring as Record<string, unknown>;
  for (const key of ['similarity', 'quality', 'recency'] as const) {
    if (s[key] === undefined) {
      throw invalid(
        `scoring.${key} is missing; give all three of similarity, quality and recency (0 disables a term)`,
        {
          key,
        },
      );
    }
    assertFiniteNumber(`scoring.${key}`, s[key], 0);
  }
  const similarity = s.similarity as number;
  const quality = s.quality as number;
  const recency = s.recency as number;
  const total = similarity + quality + recency;
  if (total === 0) throw invalid('scoring weights are all 0; at least one must be positive', { scoring });
  return Object.freeze({ similarity: similarity / total, quality: quality / total, recency: recency / total });
}

function assertIndex(index: unknown): asserts index is VectorIndex {
  const i = index as Partial<Record<keyof VectorIndex, unknown>> | null;
  if (typeof i !== 'object' || i === null) throw invalid('index must be a VectorIndex object');
  for (const method of ['add', 'remove', 'has', 'search', 'save', 'load', 'ids'] as const) {
    if (typeof i[method] !== 'function') {
      throw invalid(`index has no ${method}() method; pass a VectorIndex such as createFlatIndex({ dimension })`, {
        method,
      });
    }
  }
}

/** Checks the settings that a saved bank restores (also used by load()). */
export function resolveSettings(options: Partial<MicroLoraBankOptions>, dimension: number): ResolvedBankSettings {
  assertTimestepRange(options.timestepRange);
  assertInteger('maxPatterns', options.maxPatterns, 1, MAX_PATTERNS_LIMIT);
  const scoring = resolveScoring(options.scoring ?? DEFAULT_SCORING);
  const recencyHalfLifeMs = options.recencyHalfLifeMs ?? DEFAULT_HALF_LIFE_MS;
  assertFiniteNumber('recencyHalfLifeMs', recencyHalfLifeMs, Number.MIN_VALUE);
  const oversample = options.oversample ?? DEFAULT_OVERSAMPLE;
  assertInteger('oversample', oversample, 1, OVERSAMPLE_LIMIT);
  const minSimilarity = options.minSimilarity ?? 0;
  assertFiniteNumber('minSimilarity', minSimilarity, 0, 1);
  const maxRank = options.maxRank ?? MICRO_RANK_MAX;
  assertRank(maxRank, RANK_LIMIT, 'maxRank');
  const timestepPolicy = options.timestepPolicy ?? 'overlap';
  if (timestepPolicy !== 'overlap' && timestepPolicy !== 'contain') {
    throw invalid(`timestepPolicy must be 'overlap' or 'contain', got ${String(timestepPolicy)}`);
  }
  const defaultOwnerId = options.defaultOwnerId ?? 'local';
  if (typeof defaultOwnerId !== 'string' || defaultOwnerId.length === 0) {
    throw invalid('defaultOwnerId must be a non-empty string');
  }
  const latencyWindow = options.latencyWindow ?? DEFAULT_LATENCY_WINDOW;
  assertInteger('latencyWindow', latencyWindow, 1, LATENCY_WINDOW_LIMIT);
  return {
    timestepRange: Object.freeze([options.timestepRange[0], options.timestepRange[1]] as const),
    maxPatterns: options.maxPatterns,
    dimension,
    scoring,
    recencyHalfLifeMs,
    oversample,
    minSimilarity,
    maxRank,
    timestepPolicy,
    defaultOwnerId,
    latencyWindow,
  };
}

export function resolveBankOptions(options: MicroLoraBankOptions): ResolvedBankOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('MicroLoraBank options must be an object { timestepRange, maxPatterns, … }');
  }
  let index = options.index;
  let dimension = options.dimension;
  if (index !== undefined) {
    assertIndex(index);
    if (dimension !== undefined && dimension !== index.dimension) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `dimension ${dimension} differs from the index's dimension ${index.dimension}; omit dimension or make them equal`,
        { details: { dimension, indexDimension: index.dimension } },
      );
    }
    if (index.size !== 0) {
      throw invalid(
        `the index already holds ${index.size} vectors the bank knows nothing about; pass an empty index (or use MicroLoraBank.load)`,
        { size: index.size },
      );
    }
    dimension = index.dimension;
  }
  dimension ??= DEFAULT_DIMENSION;
  assertDimension('dimension', dimension);
  const settings = resolveSettings(options, dimension);
  index ??= createFlatIndex({ dimension, metric: 'cosine' });
  const clock = options.clock ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw invalid('clock must be an object with a now(): number method, e.g. new ManualClock()');
  }
  const onEvict = options.onEvict;
  if (onEvict !== undefined && typeof onEvict !== 'function') throw invalid('onEvict must be a function');
  return { ...settings, index, clock, onEvict };
}
