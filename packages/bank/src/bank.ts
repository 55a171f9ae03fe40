import {
  MicroLoraError,
  isMicroLoraError,
  assertFiniteNumber,
  assertInteger,
  type Clock,
  type CompressedLora,
  type Pattern,
  type PatternInput,
  type TimestepRange,
} from '@microlora/core';
import { createFlatIndex, type Metric, type VectorIndex } from '@microlora/vector-index';
import { decodeBankFile, encodeBankFile } from './bank-codec.js';
import { recencyScore, unitSimilarity } from './blended-score.js';
import { LatencyRing } from './latency-ring.js';
import {
  resolveBankOptions,
  type MicroLoraBankOptions,
  type ResolvedBankSettings,
  type ScoringWeights,
  type TimestepPolicy,
} from './options.js';
import { assertPatternId, checkEmbedding, storePatternInput, type StoredPattern } from './pattern-input.js';

// performance.now() exists in Node ≥ 16 and every browser; declared here because the build has no DOM or Node lib.
declare const performance: { now(): number };

/** One retrieval result; directly usable as a composer item ({ lora, score }). */
export interface RetrievedPattern {
  id: string;
  /** The bank's own pattern object: read it, change it only through the bank's methods. */
  pattern: Pattern;
  lora: CompressedLora;
  /** The index similarity mapped to [0, 1] ((cos + 1) / 2 under cosine). */
  similarity: number;
  /** The blended score w_s·similarity + w_q·successRate + w_r·recency, in [0, 1]. */
  score: number;
}

export interface InsertOptions {
  /** Replace a pattern with the same id instead of throwing DUPLICATE_ID. Default false. */
  replace?: boolean;
}

export interface InsertResult {
  id: string;
  /** The id evicted to make room (least recently used), if any. */
  evictedId: string | undefined;
  /** Whether an existing pattern with this id was replaced. */
  replaced: boolean;
}

export interface UsageRecord {
  /** Request latency in ms, folded into avgLatencyMs (a running mean over usages that report one). */
  latencyMs?: number;
  /** The user served; distinctUsers counts the distinct ids seen. */
  userId?: string;
}

export interface FeedbackRecord {
  /** Feedback quality in [0, 1]; successRate is its running mean over feedbackCount events. */
  quality: number;
  /** Optional model-specific denoising quality in [0, 1] (running mean over the events that report it). */
  denoisingQuality?: number;
}

export interface BankStats {
  patterns: number;
  maxPatterns: number;
  inserts: number;
  retrievals: number;
  evictions: number;
  /** Median / 99th percentile retrieval latency in µs over the last `latencyWindow` retrievals (NaN before any). */
  p50RetrievalUs: number;
  p99RetrievalUs: number;
  /** Exact: loraBytes + embeddingBytes. */
  bytes: number;
  /** Σ encodeBinary(lora).length over the stored patterns. */
  loraBytes: number;
  /** Σ embedding.byteLength over the stored patterns. */
  embeddingBytes: number;
}

export interface LoadBankOptions {
  /**
   * An EMPTY index of the kind the bank was saved with, to load the saved index
   * bytes into. Default: a new flat index (only for banks saved with one).
   */
  index?: VectorIndex;
  clock?: Clock;
  onEvict?: (pattern: Pattern) => void;
}

/** Internal state a saved bank restores; see bank-codec.ts. */
interface BankSnapshotState {
  settings: ResolvedBankSettings;
  entries: StoredPattern[];
  inserts: number;
  retrievals: number;
  evictions: number;
}

/**
 * A bounded store of int8 LoRA patterns for one timestep range, searchable by
 * query embedding. Retrieval over-fetches `k × oversample` candidates from the
 * vector index and re-ranks them by a blended score (similarity, quality,
 * recency) before taking k. When full, inserting evicts the least recently used
 * pattern (insert and recordUsage count as use; retrieve does not).
 */
export class MicroLoraBank {
  readonly index: VectorIndex;
  readonly clock: Clock;
  private settings: ResolvedBankSettings;
  private readonly onEvict: ((pattern: Pattern) => void) | undefined;
  /** Patterns in recency order: the first is the least recently used. */
  private readonly entries = new Map<string, StoredPattern>();
  private readonly metric: Metric;
  private readonly requireNonZero: boolean;
  private decayPerMs: number;
  private readonly latencies: LatencyRing;
  private inserts = 0;
  private retrievals = 0;
  private evictions = 0;
  private loraBytes = 0;
  /** Bumped by every change of the set of patterns; save() uses it to detect concurrent changes. */
  private structureVersion = 0;
  // Re-ranking scratch, reused across calls.
  private topScore = new Float64Array(16);
  private topSimilarity = new Float64Array(16);
  private topEntry: (StoredPattern | undefined)[] = new Array<StoredPattern | undefined>(16);

  constructor(options: MicroLoraBankOptions) {
    const resolved = resolveBankOptions(options);
    this.index = resolved.index;
    this.clock = resolved.clock;
    this.onEvict = resolved.onEvict;
    this.settings = {
      timestepRange: resolved.timestepRange,
      maxPatterns: resolved.maxPatterns,
      dimension: resolved.dimension,
      scoring: resolved.scoring,
      recencyHalfLifeMs: resolved.recencyHalfLifeMs,
      oversample: resolved.oversample,
      minSimilarity: resolved.minSimilarity,
      maxRank: resolved.maxRank,
      timestepPolicy: resolved.timestepPolicy,
      defaultOwnerId: resolved.defaultOwnerId,
      latencyWindow: resolved.latencyWindow,
    };
    this.metric = this.index.metric;
    this.requireNonZero = this.metric === 'cosine';
    this.decayPerMs = -Math.LN2 / resolved.recencyHalfLifeMs;
    this.latencies = new LatencyRing(resolved.latencyWindow);
  }

  get timestepRange(): TimestepRange {
    return this.settings.timestepRange;
  }
  get maxPatterns(): number {
    return this.settings.maxPatterns;
  }
  get dimension(): number {
    return this.settings.dimension;
  }
  /** The scoring weights, normalised to sum to 1. */
  get scoring(): Readonly<ScoringWeights> {
    return this.settings.scoring;
  }
  get recencyHalfLifeMs(): number {
    return this.settings.recencyHalfLifeMs;
  }
  get oversample(): number {
    return this.settings.oversample;
  }
  get minSimilarity(): number {
    return this.settings.minSimilarity;
  }
  get maxRank(): number {
    return this.settings.maxRank;
  }
  get timestepPolicy(): TimestepPolicy {
    return this.settings.timestepPolicy;
  }
  get size(): number {
    return this.entries.size;
  }

  /**
   * Validates and stores a pattern: f32 weights are compressed per row, missing
   * metrics/policy/provenance get defaults (private policy, no consent), the
   * embedding is copied. A duplicate id throws DUPLICATE_ID unless `replace`.
   * When the bank is full, the least recently used pattern is evicted (also from
   * the index) and its id returned. Nothing changes if validation fails.
   */
  insert(input: PatternInput, options: InsertOptions = {}): InsertResult {
    if (typeof options !== 'object' || options === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'insert options must be an object { replace?: boolean }');
    }
    const replace = options.replace ?? false;
    if (typeof replace !== 'boolean') throw new MicroLoraError('INVALID_ARGUMENT', 'options.replace must be a boolean');
    const stored = storePatternInput(input, this.settings, this.clock.now(), this.requireNonZero);
    const id = stored.pattern.id;
    const previous = this.entries.get(id);
    if (previous !== undefined && !replace) {
      throw new MicroLoraError(
        'DUPLICATE_ID',
        `a pattern with id ${JSON.stringify(
          id,
        )} is already stored; pass { replace: true } to overwrite it or remove() it first`,
        { details: { id } },
      );
    }
    if (previous !== undefined) {
      this.index.remove(id);
      this.forget(id, previous);
    }
    try {
      this.index.add(id, stored.pattern.embedding);
    } catch (cause) {
      // The old version of a replaced pattern is gone from the index; keep bank and index consistent.
      if (previous !== undefined) this.structureVersion++;
      throw cause;
    }
    this.entries.set(id, stored);
    this.loraBytes += stored.loraBytes;
    this.inserts++;
    this.structureVersion++;
    let evictedId: string | undefined;
    if (this.entries.size > this.settings.maxPatterns) evictedId = this.evictLeastRecentlyUsed();
    return { id, evictedId, replaced: previous !== undefined };
  }

  /**
   * The k best patterns for a query embedding, best first. Searches
   * k × oversample candidates, scores each as
   * w_s·similarity01 + w_q·successRate + w_r·0.5^(age/halfLife) (weights normalised),
   * and keeps the k highest (ties: higher similarity, then smaller id); candidates
   * below `minSimilarity` are dropped first.
   * Returns [] for an empty bank and, under cosine, for an all-zero query (it has
   * no direction). Does not count as usage: call recordUsage for patterns you use.
   */
  retrieve(embedding: Float32Array, k: number): RetrievedPattern[] {
    const started = performance.now();
    assertInteger('k', k, 1, Number.MAX_SAFE_INTEGER);
    const sumSquares = checkEmbedding('embedding', embedding, this.settings.dimension);
    this.retrievals++;
    if (this.entries.size === 0 || (sumSquares === 0 && this.requireNonZero)) {
      this.latencies.record((performance.now() - started) * 1000);
      return [];
    }
    const candidates = Math.min(this.entries.size, k * this.settings.oversample);
    const hits = this.index.search(embedding, candidates);
    const keep = Math.min(k, hits.length);
    if (this.topScore.length < keep) this.growScratch(keep);
    const topScore = this.topScore;
    const topSimilarity = this.topSimilarity;
    const topEntry = this.topEntry;
    const { similarity: ws, quality: wq, recency: wr } = this.settings.scoring;
    const now = this.clock.now();
    const decay = this.decayPerMs;
    const metric = this.metric;
    const minSimilarity = this.settings.minSimilarity;
    let kept = 0;
    for (let h = 0; h < hits.length; h++) {
      const hit = hits[h]!;
      const entry = this.entries.get(hit.id);
      if (entry === undefined) continue; // only if someone changed the index behind the bank's back
      const similarity = unitSimilarity(metric, hit);
      if (similarity < minSimilarity) continue;
      const metrics = entry.pattern.metrics;
      let score = ws * similarity + wq * metrics.successRate;
      if (wr !== 0) score += wr * recencyScore(now - metrics.lastUsed, decay);
      // Insertion into the sorted top list (k is small); skip when it cannot enter.
      if (
        kept === keep &&
        !ranksBefore(score, similarity, hit.id, topScore[keep - 1]!, topSimilarity[keep - 1]!, topEntry[keep - 1]!)
      ) {
        continue;
      }
      let i = kept < keep ? kept++ : keep - 1;
      while (
        i > 0 &&
        ranksBefore(score, similarity, hit.id, topScore[i - 1]!, topSimilarity[i - 1]!, topEntry[i - 1]!)
      ) {
        topScore[i] = topScore[i - 1]!;
        topSimilarity[i] = topSimilarity[i - 1]!;
        topEntry[i] = topEntry[i - 1];
        i--;
      }
      topScore[i] = score;
      topSimilarity[i] = similarity;
      topEntry[i] = entry;
    }
    const result = new Array<RetrievedPattern>(kept);
    for (let i = 0; i < kept; i++) {
      const pattern = topEntry[i]!.pattern;
      result[i] = { id: pattern.id, pattern, lora: pattern.lora, similarity: topSimilarity[i]!, score: topScore[i]! };
      topEntry[i] = undefined; // do not keep evicted patterns alive
    }
    this.latencies.record((performance.now() - started) * 1000);
    return result;
  }

  /**
   * Records that a pattern served a request: usageCount + 1, lastUsed = now,
   * avgLatencyMs (running mean over usages reporting a latency), distinctUsers,
   * and it becomes the most recently used (last to be evicted). NOT_FOUND if absent.
   */
  recordUsage(id: string, usage: UsageRecord = {}): void {
    const entry = this.require(id);
    if (typeof usage !== 'object' || usage === null)
      throw new MicroLoraError('INVALID_ARGUMENT', 'usage must be an object');
    const { latencyMs, userId } = usage;
    if (latencyMs !== undefined) assertFiniteNumber('usage.latencyMs', latencyMs, 0);
    if (userId !== undefined && typeof userId !== 'string') {
      throw new MicroLoraError('INVALID_ARGUMENT', `usage.userId must be a string, got ${typeof userId}`);
    }
    const metrics = entry.pattern.metrics;
    metrics.usageCount++;
    metrics.lastUsed = this.clock.now();
    if (latencyMs !== undefined) {
      entry.latencySamples++;
      metrics.avgLatencyMs += (latencyMs - metrics.avgLatencyMs) / entry.latencySamples;
    }
    if (userId !== undefined && !entry.users.has(userId)) {
      entry.users.add(userId);
      metrics.distinctUsers++;
    }
    this.entries.delete(id);
    this.entries.set(id, entry);
  }

  /**
   * Folds one feedback event into the pattern's metrics: successRate becomes the
   * running mean of quality over feedbackCount + 1 events. Does not change recency.
   */
  updateMetrics(id: string, feedback: FeedbackRecord): void {
    const entry = this.require(id);
    if (typeof feedback !== 'object' || feedback === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'feedback must be an object { quality, denoisingQuality? }');
    }
    assertFiniteNumber('feedback.quality', feedback.quality, 0, 1);
    if (feedback.denoisingQuality !== undefined)
      assertFiniteNumber('feedback.denoisingQuality', feedback.denoisingQuality, 0, 1);
    const metrics = entry.pattern.metrics;
    metrics.feedbackCount++;
    metrics.successRate += (feedback.quality - metrics.successRate) / metrics.feedbackCount;
    if (feedback.denoisingQuality !== undefined) {
      entry.denoisingSamples++;
      metrics.denoisingQuality += (feedback.denoisingQuality - metrics.denoisingQuality) / entry.denoisingSamples;
    }
  }

  /** The stored pattern (the bank's own object; treat as read-only), or undefined. */
  get(id: string): Pattern | undefined {
    return this.entries.get(id)?.pattern;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Removes a pattern from the bank and the index; NOT_FOUND if absent. */
  remove(id: string): void {
    const entry = this.require(id);
    this.index.remove(id);
    this.forget(id, entry);
    this.structureVersion++;
  }

  /** Every stored pattern, least recently used first. */
  patterns(): Pattern[] {
    return Array.from(this.entries.values(), (e) => e.pattern);
  }

  /**
   * The whole bank as bytes: settings, counters, every pattern (int8 weights via
   * encodeBinary, metrics, policy, provenance, embedding) in LRU order, and the
   * index's own save() bytes, in a versioned container ending in a CRC-32.
   * Patterns inserted or removed while an asynchronous index save is pending make
   * it start over (at most 5 times).
   */
  async save(): Promise<Uint8Array> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { state, version } = this.snapshotState();
      // Started in the same tick as the snapshot, so a synchronous index save matches it exactly.
      const indexBytes = await this.index.save();
      if (this.changedSince(version)) continue;
      return encodeBankFile({
        settings: state.settings,
        metric: this.metric,
        inserts: state.inserts,
        retrievals: state.retrievals,
        evictions: state.evictions,
        indexKind: this.index.kind,
        entries: state.entries,
        indexBytes,
      });
    }
    throw new MicroLoraError(
      'LIMIT_EXCEEDED',
      'the bank kept changing while its index was being saved; pause inserts and removals during save()',
    );
  }

  /**
   * Restores a bank written by save(), index included (no re-indexing).
   * Truncated or corrupted bytes → CORRUPT_DATA, another format version →
   * UNSUPPORTED_VERSION; a supplied index of another kind or metric → INVALID_ARGUMENT.
   */
  static async load(bytes: Uint8Array, options: LoadBankOptions = {}): Promise<MicroLoraBank> {
    if (typeof options !== 'object' || options === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'load options must be an object { index?, clock?, onEvict? }');
    }
    const contents = decodeBankFile(bytes);
    const { settings } = contents;
    let index = options.index;
    if (index === undefined) {
      if (contents.indexKind !== 'flat') {
        throw new MicroLoraError(
          'INVALID_ARGUMENT',
          `this bank was saved with a ${JSON.stringify(contents.indexKind)} index; pass an empty one as options.index`,
          { details: { indexKind: contents.indexKind } },
        );
      }
      index = createFlatIndex({
        dimension: settings.dimension,
        metric: contents.metric,
        capacity: Math.max(1, contents.entries.length),
      });
    } else if (index.kind !== contents.indexKind || index.metric !== contents.metric) {
      throw new MicroLoraError(
        'INVALID_ARGUMENT',
        `options.index is a ${index.kind}/${index.metric} index but the bank was saved with ${contents.indexKind}/${contents.metric}`,
        {
          details: {
            kind: index.kind,
            metric: index.metric,
            savedKind: contents.indexKind,
            savedMetric: contents.metric,
          },
        },
      );
    }
    const bank = new MicroLoraBank({
      timestepRange: settings.timestepRange,
      maxPatterns: settings.maxPatterns,
      dimension: settings.dimension,
      index,
      scoring: settings.scoring,
      recencyHalfLifeMs: settings.recencyHalfLifeMs,
      oversample: settings.oversample,
      minSimilarity: settings.minSimilarity,
      maxRank: settings.maxRank,
      timestepPolicy: settings.timestepPolicy,
      defaultOwnerId: settings.defaultOwnerId,
      latencyWindow: settings.latencyWindow,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.onEvict === undefined ? {} : { onEvict: options.onEvict }),
    });
    try {
      await index.load(contents.indexBytes);
    } catch (cause) {
      if (isMicroLoraError(cause)) throw cause;
      throw new MicroLoraError('CORRUPT_DATA', `the bank's index bytes could not be loaded: ${String(cause)}`, {
        cause,
      });
    }
    const consistent = index.size === contents.entries.length && contents.entries.every((e) => index.has(e.pattern.id));
    if (!consistent) {
      throw new MicroLoraError(
        'CORRUPT_DATA',
        `the saved index holds ${index.size} vectors that do not match the bank's ${contents.entries.length} patterns`,
        { details: { indexSize: index.size, patterns: contents.entries.length } },
      );
    }
    bank.restoreState({
      settings,
      entries: contents.entries,
      inserts: contents.inserts,
      retrievals: contents.retrievals,
      evictions: contents.evictions,
    });
    return bank;
  }

  stats(): BankStats {
    const embeddingBytes = this.entries.size * this.settings.dimension * Float32Array.BYTES_PER_ELEMENT;
    return {
      patterns: this.entries.size,
      maxPatterns: this.settings.maxPatterns,
      inserts: this.inserts,
      retrievals: this.retrievals,
      evictions: this.evictions,
      p50RetrievalUs: this.latencies.quantile(0.5),
      p99RetrievalUs: this.latencies.quantile(0.99),
      bytes: this.loraBytes + embeddingBytes,
      loraBytes: this.loraBytes,
      embeddingBytes,
    };
  }

  /** State for the codec; entries least recently used first. */
  private snapshotState(): { state: BankSnapshotState; version: number } {
    return {
      state: {
        settings: this.settings,
        entries: Array.from(this.entries.values()),
        inserts: this.inserts,
        retrievals: this.retrievals,
        evictions: this.evictions,
      },
      version: this.structureVersion,
    };
  }

  /** Whether the set of patterns changed since `version`. */
  private changedSince(version: number): boolean {
    return this.structureVersion !== version;
  }

  /** Restores decoded state into a fresh bank whose index already holds the vectors. */
  private restoreState(state: BankSnapshotState): void {
    this.settings = state.settings;
    this.decayPerMs = -Math.LN2 / state.settings.recencyHalfLifeMs;
    this.entries.clear();
    this.loraBytes = 0;
    for (const entry of state.entries) {
      this.entries.set(entry.pattern.id, entry);
      this.loraBytes += entry.loraBytes;
    }
    this.inserts = state.inserts;
    this.retrievals = state.retrievals;
    this.evictions = state.evictions;
    this.structureVersion++;
  }

  private require(id: string): StoredPattern {
    assertPatternId(id);
    const entry = this.entries.get(id);
    if (entry === undefined) {
      throw new MicroLoraError(
        'NOT_FOUND',
        `no pattern with id ${JSON.stringify(id)} in this bank; check has(id) first`,
        {
          details: { id },
        },
      );
    }
    return entry;
  }

  private forget(id: string, entry: StoredPattern): void {
    this.entries.delete(id);
    this.loraBytes -= entry.loraBytes;
  }

  private evictLeastRecentlyUsed(): string {
    const [id, entry] = this.entries.entries().next().value as [string, StoredPattern];
    this.index.remove(id);
    this.forget(id, entry);
    this.evictions++;
    this.structureVersion++;
    this.onEvict?.(entry.pattern);
    return id;
  }

  private growScratch(size: number): void {
    this.topScore = new Float64Array(size);
    this.topSimilarity = new Float64Array(size);
    this.topEntry = new Array<StoredPattern | undefined>(size);
  }
}

/** Score descending, then similarity descending, then id ascending. */
function ranksBefore(
  score: number,
  similarity: number,
  id: string,
  otherScore: number,
  otherSimilarity: number,
  other: StoredPattern,
): boolean {
  if (score !== otherScore) return score > otherScore;
  if (similarity !== otherSimilarity) return similarity > otherSimilarity;
  return id < other.pattern.id;
}
