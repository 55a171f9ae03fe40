import {
  MicroLoraError,
  assertFiniteNumber,
  assertInteger,
  assertTimestepRange,
  findNonFinite,
  type LoraWeights,
  type QuantScheme,
  type SharingPolicy,
  type TimestepRange,
} from '@microlora/core';
import type { MicroLoraBank } from '@microlora/bank';
import { compress } from '@microlora/quantization';

export interface PatternHarvesterOptions {
  /** Where harvested patterns go. */
  bank: MicroLoraBank;
  /** Feedback events averaged to judge an adapter. Default 20. */
  window?: number;
  /** Harvest when the mean quality over the last `window` events is ≥ this. Default 0.8. */
  threshold?: number;
  /** Events between two harvests of the same adapter (a re-harvest replaces its pattern). Default `window`. */
  cooldown?: number;
  /** int8 scheme of the stored weights. Default 'per-row'. */
  scheme?: QuantScheme;
  /** Timestep range of harvested patterns. Default the bank's. */
  timestepRange?: TimestepRange;
  /** Sharing policy of harvested patterns. Default the bank's (private, no consent). */
  policy?: SharingPolicy;
  /** Pattern ids are `${idPrefix}${adapterId}`. Default 'harvest:'. */
  idPrefix?: string;
}

/** One served request: the query's embedding and, when the user gave it, the feedback quality. */
export interface ServedQuery {
  embedding: Float32Array;
  /** Quality in [0, 1]; omitted when the request got no feedback. */
  quality?: number;
}

export interface HarvestResult {
  /** The bank id of the (new or replaced) pattern. */
  id: string;
  /** Mean quality over the window that triggered the harvest. */
  quality: number;
  /** Queries whose embeddings were averaged. */
  queries: number;
  replaced: boolean;
  evictedId: string | undefined;
}

/** Per-adapter bookkeeping. */
interface Tracked {
  readonly qualities: Float64Array;
  /** Qualities seen (the window holds the last min(seen, window)). */
  seen: number;
  sinceHarvest: number;
  readonly embeddingSum: Float64Array;
  queries: number;
}

/**
 * Turns adapters that users like into bank patterns. For each adapter (by id)
 * it keeps the last `window` feedback qualities and the sum of the embeddings
 * of the queries it served; once the window's mean quality reaches `threshold`
 * (and `cooldown` events passed since the last harvest) the adapter's current
 * weights are compressed and inserted into the bank with the MEAN embedding of
 * its queries, initial metrics from the window (successRate, feedbackCount),
 * replacing the adapter's previous pattern.
 */
export class PatternHarvester {
  readonly bank: MicroLoraBank;
  readonly window: number;
  readonly threshold: number;
  readonly cooldown: number;
  readonly scheme: QuantScheme;
  readonly timestepRange: TimestepRange;
  readonly idPrefix: string;
  private readonly policy: SharingPolicy | undefined;
  private readonly tracked = new Map<string, Tracked>();

  constructor(options: PatternHarvesterOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'PatternHarvester options must be an object { bank, window?, threshold?, … }');
    }
    const bank = options.bank;
    if (typeof bank !== 'object' || bank === null || typeof bank.insert !== 'function' || typeof bank.updateMetrics !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'options.bank must be a MicroLoraBank');
    }
    this.bank = bank;
    this.window = options.window ?? 20;
    assertInteger('window', this.window, 1, 1 << 20);
    this.threshold = options.threshold ?? 0.8;
    assertFiniteNumber('threshold', this.threshold, 0, 1);
    this.cooldown = options.cooldown ?? this.window;
    assertInteger('cooldown', this.cooldown, 1, Number.MAX_SAFE_INTEGER);
    this.scheme = options.scheme ?? 'per-row';
    this.timestepRange = options.timestepRange ?? bank.timestepRange;
    assertTimestepRange(this.timestepRange);
    this.idPrefix = options.idPrefix ?? 'harvest:';
    if (typeof this.idPrefix !== 'string') throw new MicroLoraError('INVALID_ARGUMENT', 'idPrefix must be a string');
    this.policy = options.policy;
  }

  /** The bank id an adapter's pattern gets. */
  patternId(adapterId: string): string {
    return this.idPrefix + adapterId;
  }

  /**
   * Records one query served by an adapter (and its feedback quality, if any);
   * harvests the adapter's current weights when it qualifies. Returns the
   * harvest, or undefined. Nothing is recorded if the input is invalid.
   */
  observe(adapterId: string, lora: LoraWeights, query: ServedQuery): HarvestResult | undefined {
    if (typeof adapterId !== 'string' || adapterId.length === 0) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'adapterId must be a non-empty string');
    }
    if (typeof query !== 'object' || query === null) throw new MicroLoraError('INVALID_ARGUMENT', 'query must be an object { embedding, quality? }');
    const { embedding, quality } = query;
    const dimension = this.bank.dimension;
    if (!(embedding instanceof Float32Array) || embedding.length !== dimension) {
      throw new MicroLoraError('DIMENSION_MISMATCH', `query.embedding must be a Float32Array of the bank's dimension ${dimension}`, {
        details: { expected: dimension },
      });
    }
    const bad = findNonFinite(embedding);
    if (bad >= 0) throw new MicroLoraError('NON_FINITE', `query.embedding[${bad}] is ${embedding[bad]}; every value must be finite`);
    if (quality !== undefined) assertFiniteNumber('query.quality', quality, 0, 1);
    let t = this.tracked.get(adapterId);
    if (t === undefined) {
      t = { qualities: new Float64Array(this.window), seen: 0, sinceHarvest: 0, embeddingSum: new Float64Array(dimension), queries: 0 };
      this.tracked.set(adapterId, t);
    }
    for (let i = 0; i < dimension; i++) t.embeddingSum[i] = (t.embeddingSum[i] as number) + (embedding[i] as number);
    t.queries++;
    if (quality === undefined) return undefined;
    t.qualities[t.seen % this.window] = quality;
    t.seen++;
    t.sinceHarvest++;
    if (t.seen < this.window || t.sinceHarvest < this.cooldown) return undefined;
    let sum = 0;
    for (let i = 0; i < this.window; i++) sum += t.qualities[i] as number;
    const mean = sum / this.window;
    if (mean < this.threshold) return undefined;
    return this.harvest(adapterId, lora, t, mean);
  }

  /** Mean quality over the adapter's window (NaN before `window` qualities). */
  windowQuality(adapterId: string): number {
    const t = this.tracked.get(adapterId);
    if (t === undefined || t.seen < this.window) return Number.NaN;
    let sum = 0;
    for (let i = 0; i < this.window; i++) sum += t.qualities[i] as number;
    return sum / this.window;
  }

  /** Stops tracking an adapter (its harvested pattern stays in the bank). */
  forget(adapterId: string): boolean {
    return this.tracked.delete(adapterId);
  }

  private harvest(adapterId: string, lora: LoraWeights, t: Tracked, quality: number): HarvestResult {
    const dimension = this.bank.dimension;
    const embedding = new Float32Array(dimension);
    for (let i = 0; i < dimension; i++) embedding[i] = (t.embeddingSum[i] as number) / t.queries;
    const id = this.patternId(adapterId);
    const result = this.bank.insert(
      {
        id,
        embedding,
        lora: compress(lora, this.scheme),
        timestepRange: this.timestepRange,
        metrics: { successRate: quality, feedbackCount: this.window },
        ...(this.policy === undefined ? {} : { policy: this.policy }),
      },
      { replace: true },
    );
    t.sinceHarvest = 0;
    return { id, quality, queries: t.queries, replaced: result.replaced, evictedId: result.evictedId };
  }
}

/** Anything naming a bank pattern: its id, or a retrieval result. */
export type PatternRef = string | { readonly id: string };

/**
 * Records that retrieved patterns served a request (usageCount, lastUsed,
 * latency, distinct users). Patterns evicted since retrieval are skipped;
 * returns how many were updated.
 */
export function recordPatternUsage(
  bank: MicroLoraBank,
  patterns: readonly PatternRef[],
  usage: { latencyMs?: number; userId?: string } = {},
): number {
  return forEachStored(bank, patterns, (id) => bank.recordUsage(id, usage));
}

/**
 * Folds a request's feedback into the metrics of the patterns that served it
 * (successRate is the running mean quality). Evicted patterns are skipped;
 * returns how many were updated.
 */
export function recordPatternFeedback(
  bank: MicroLoraBank,
  patterns: readonly PatternRef[],
  feedback: { quality: number; denoisingQuality?: number },
): number {
  return forEachStored(bank, patterns, (id) => bank.updateMetrics(id, feedback));
}

function forEachStored(bank: MicroLoraBank, patterns: readonly PatternRef[], update: (id: string) => void): number {
  if (!Array.isArray(patterns)) throw new MicroLoraError('INVALID_ARGUMENT', 'patterns must be an array of ids or { id } objects');
  let updated = 0;
  for (const ref of patterns) {
    const id = typeof ref === 'string' ? ref : typeof ref === 'object' && ref !== null ? ref.id : undefined;
    if (typeof id !== 'string') throw new MicroLoraError('INVALID_ARGUMENT', 'each pattern must be an id string or an object with an id');
    if (!bank.has(id)) continue;
    update(id);
    updated++;
  }
  return updated;
}
