import {
  MicroLoraError,
  assertFiniteNumber,
  assertFloat32Array,
  assertLength,
  type CompressedLora,
  type LoraWeights,
  type PatternInput,
  type PatternMetrics,
  type Provenance,
  type SharingPolicy,
  type TimestepRange,
} from '@microlora/core';
import type { Embedder } from '@microlora/embed';
import type { SimdOps } from '@microlora/simd';
import type { AdapterSource, TaloraInsertResult, TaloraManager, TaloraStats } from '@microlora/talora';
import { embedderFingerprint, encodeMicroLoraFile } from './micro-lora-codec.js';
import type { IndexKind } from './options.js';

/** A pattern to store: the query it serves (text or embedding) and its adapter. */
export interface PatternSpec {
  /** Unique across the instance. Default: the first free `p<n>`. */
  id?: string;
  /** Query text (embedded with the instance's embedder) or its embedding. */
  query: string | Float32Array;
  /** hiddenSize → hiddenSize; f32 weights are compressed to int8 (per-row) once. */
  lora: LoraWeights | CompressedLora;
  /** Timesteps the adapter serves. Default [0, 1]: every bank (one shared int8 copy). */
  timestepRange?: TimestepRange;
  metrics?: Partial<PatternMetrics>;
  policy?: SharingPolicy;
  provenance?: Provenance;
}

/** An adapter with the patterns it was composed from: hand it back to feedback(). */
export interface AdapterRequest {
  /** Its own buffers (not a view). */
  adapter: LoraWeights;
  sources: AdapterSource[];
  timestep: number;
  /** β per bank at this timestep. */
  bankWeights: Float64Array;
}

export interface RequestFeedback {
  /** How good the adapted output was, in [0, 1]: folded into each source pattern's successRate. */
  quality: number;
  /** Optional model-specific denoising quality in [0, 1]. */
  denoisingQuality?: number;
  /** Request latency in ms (each source's avgLatencyMs). */
  latencyMs?: number;
  /** The user served (each source's distinctUsers). */
  userId?: string;
}

export interface MicroLoraStats {
  backend: string;
  index: IndexKind;
  dimension: number;
  hiddenSize: number;
  /** adapterFor / adapterWithSources calls. */
  requests: number;
  /** feedback() calls. */
  feedbacks: number;
  /** Distinct patterns stored. */
  patterns: number;
  talora: TaloraStats;
}

/** What createMicroLora / loadMicroLora hand to the constructor. */
export interface MicroLoraParts {
  embedder: Embedder;
  manager: TaloraManager;
  backend: SimdOps;
  indexKind: IndexKind;
  hiddenSize: number;
  indexFallbackReason?: string;
}

function ranges(a: Float32Array, b: Float32Array): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * One MicroLoRA instance: embedder → TALoRA banks → exact composition → SIMD apply.
 * Create it with createMicroLora(); every method validates its input and throws
 * MicroLoraError with a stable code.
 */
export class MicroLora {
  readonly embedder: Embedder;
  /** The TALoRA manager (banks, interpolation, composer) for everything this facade does not wrap. */
  readonly manager: TaloraManager;
  readonly backend: SimdOps;
  readonly indexKind: IndexKind;
  /** Why index 'fast' fell back to the exact flat index (no WebAssembly SIMD128), if it did. */
  readonly indexFallbackReason: string | undefined;
  readonly hiddenSize: number;
  readonly dimension: number;
  private readonly queryScratch: Float32Array;
  private inputScratch: Float32Array;
  private rowsToFirst = new Int32Array(0);
  private readonly single: LoraWeights[] = [];
  private nextId = 0;
  private requests = 0;
  private feedbacks = 0;

  constructor(parts: MicroLoraParts) {
    this.embedder = parts.embedder;
    this.manager = parts.manager;
    this.backend = parts.backend;
    this.indexKind = parts.indexKind;
    this.indexFallbackReason = parts.indexFallbackReason;
    this.hiddenSize = parts.hiddenSize;
    this.dimension = parts.embedder.dimension;
    this.queryScratch = new Float32Array(this.dimension);
    this.inputScratch = new Float32Array(this.hiddenSize);
  }

  /** The query's embedding (a new array). */
  embed(text: string): Float32Array {
    return this.embedder.embed(text);
  }

  /**
   * The adapter for a request at timestep t ∈ [0, 1] (use 0 when your model has no
   * timesteps and a single bank, boundaries [0, 1]). Its a/b are VIEWS valid until the
   * next adapterFor / adapterWithSources on this instance: apply it before asking again, or
   * use adapterWithSources for a copy. Nothing found → the zero adapter.
   */
  adapterFor(query: string | Float32Array, t: number): LoraWeights {
    const embedding = this.queryEmbedding(query);
    const adapter = this.manager.getAdapter(embedding, t);
    this.requests++;
    return adapter;
  }

  /** Like adapterFor, as a copy together with the patterns it came from (for feedback). */
  adapterWithSources(query: string | Float32Array, t: number): AdapterRequest {
    const embedding = this.queryEmbedding(query);
    const { adapter, sources, bankWeights } = this.manager.getAdapterWithSources(embedding, t);
    this.requests++;
    return { adapter, sources, timestep: t, bankWeights };
  }

  /** hidden + ΔW·hidden as a new array (hidden has hiddenSize values). */
  apply(hidden: Float32Array, adapter: LoraWeights): Float32Array {
    return this.applyInto(hidden, adapter, new Float32Array(this.hiddenSize));
  }

  /**
   * out = hidden + ΔW·hidden without allocating; out may be hidden itself (in place).
   * NaN in hidden propagates to out (hidden is not scanned on this hot path).
   */
  applyInto(hidden: Float32Array, adapter: LoraWeights, out: Float32Array): Float32Array {
    assertFloat32Array('hidden', hidden);
    assertFloat32Array('out', out);
    assertLength('hidden', hidden, this.hiddenSize);
    assertLength('out', out, this.hiddenSize);
    this.checkAdapter(adapter, 'adapter');
    let x = hidden;
    if (ranges(hidden, out)) {
      x = this.inputScratch.subarray(0, this.hiddenSize);
      x.set(hidden);
    }
    if (out !== hidden) out.set(hidden);
    this.backend.loraApply(adapter, x, out);
    return out;
  }

  /** applyBatchInto into a new array. */
  applyBatch(hidden: Float32Array, adapters: LoraWeights | readonly LoraWeights[], adapterIndex?: Int32Array): Float32Array {
    return this.applyBatchInto(hidden, adapters, new Float32Array(hidden.length), adapterIndex);
  }

  /**
   * Rows of hidden states (rows × hiddenSize, row-major), each plus its adapter's
   * ΔW·row: one adapter for every row, or `adapters` with `adapterIndex[r]` naming
   * row r's adapter (−1: the row is copied unchanged). Without adapterIndex, several
   * adapters need one per row (row r uses adapters[r]). out may be hidden (in place).
   */
  applyBatchInto(
    hidden: Float32Array,
    adapters: LoraWeights | readonly LoraWeights[],
    out: Float32Array,
    adapterIndex?: Int32Array,
  ): Float32Array {
    assertFloat32Array('hidden', hidden);
    assertFloat32Array('out', out);
    const rows = hidden.length / this.hiddenSize;
    if (!Number.isInteger(rows)) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `hidden has ${hidden.length} values, not a whole number of rows of hiddenSize ${this.hiddenSize}`,
        { details: { length: hidden.length, hiddenSize: this.hiddenSize } },
      );
    }
    assertLength('out', out, hidden.length);
    let list: readonly LoraWeights[];
    let index: Int32Array;
    if (Array.isArray(adapters)) {
      list = adapters as readonly LoraWeights[];
      list.forEach((a, i) => this.checkAdapter(a, `adapters[${i}]`));
      if (adapterIndex !== undefined) {
        if (!(adapterIndex instanceof Int32Array)) {
          throw new MicroLoraError('INVALID_ARGUMENT', 'adapterIndex must be an Int32Array with one adapter index per row');
        }
        assertLength('adapterIndex', adapterIndex, rows);
        index = adapterIndex;
      } else if (list.length === 1 || list.length === rows) {
        index = this.defaultIndex(rows, list.length === 1);
      } else {
        throw new MicroLoraError(
          'INVALID_ARGUMENT',
          `${list.length} adapters for ${rows} rows: pass adapterIndex (one adapter index per row), or one adapter per row`,
          { details: { adapters: list.length, rows } },
        );
      }
    } else {
      this.checkAdapter(adapters as LoraWeights, 'adapter');
      this.single[0] = adapters as LoraWeights;
      list = this.single;
      index = this.defaultIndex(rows, true);
    }
    let x = hidden;
    if (ranges(hidden, out)) {
      if (this.inputScratch.length < hidden.length) this.inputScratch = new Float32Array(hidden.length);
      x = this.inputScratch.subarray(0, hidden.length);
      x.set(hidden);
    }
    if (out !== hidden) out.set(hidden);
    try {
      this.backend.loraApplyBatch(list, index, x, out, rows);
    } finally {
      this.single.length = 0;
    }
    return out;
  }

  /**
   * Stores a pattern: its query is embedded (or taken as the embedding), its weights
   * compressed once, and it is placed in every bank its timestep range overlaps.
   */
  insertPattern(spec: PatternSpec, options: { replace?: boolean } = {}): TaloraInsertResult {
    if (typeof spec !== 'object' || spec === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'insertPattern needs { query, lora, id?, timestepRange? }');
    }
    const id = spec.id ?? this.freeId();
    const input: PatternInput = {
      id,
      embedding: this.queryEmbedding(spec.query),
      lora: spec.lora,
      timestepRange: spec.timestepRange ?? [0, 1],
      ...(spec.metrics === undefined ? {} : { metrics: spec.metrics }),
      ...(spec.policy === undefined ? {} : { policy: spec.policy }),
      ...(spec.provenance === undefined ? {} : { provenance: spec.provenance }),
    };
    return this.manager.insert(input, options);
  }

  removePattern(id: string): void {
    this.manager.remove(id);
  }

  hasPattern(id: string): boolean {
    return this.manager.has(id);
  }

  /**
   * Feedback on a served request: every source pattern still stored records one use
   * (with latency and user when given) and folds `quality` into its successRate, which
   * re-ranks future retrievals. Validated before anything changes. Returns how many
   * patterns were updated (patterns evicted since the request are skipped).
   * Online weight updates (the learner) are not wired yet: see the README.
   */
  feedback(request: AdapterRequest | readonly AdapterSource[], feedback: RequestFeedback): number {
    const sources = Array.isArray(request) ? (request as readonly AdapterSource[]) : (request as AdapterRequest)?.sources;
    if (!Array.isArray(sources)) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'feedback needs the AdapterRequest from adapterWithSources (or its sources)');
    }
    if (typeof feedback !== 'object' || feedback === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'feedback needs { quality, denoisingQuality?, latencyMs?, userId? }');
    }
    assertFiniteNumber('feedback.quality', feedback.quality, 0, 1);
    if (feedback.denoisingQuality !== undefined) assertFiniteNumber('feedback.denoisingQuality', feedback.denoisingQuality, 0, 1);
    if (feedback.latencyMs !== undefined) assertFiniteNumber('feedback.latencyMs', feedback.latencyMs, 0);
    if (feedback.userId !== undefined && typeof feedback.userId !== 'string') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'feedback.userId must be a string');
    }
    const usage = {
      ...(feedback.latencyMs === undefined ? {} : { latencyMs: feedback.latencyMs }),
      ...(feedback.userId === undefined ? {} : { userId: feedback.userId }),
    };
    const metrics = {
      quality: feedback.quality,
      ...(feedback.denoisingQuality === undefined ? {} : { denoisingQuality: feedback.denoisingQuality }),
    };
    let updated = 0;
    for (const source of sources) {
      if (typeof source?.id !== 'string' || !this.manager.has(source.id)) continue;
      this.manager.recordUsage(source.id, usage);
      this.manager.updateMetrics(source.id, metrics);
      updated++;
    }
    this.feedbacks++;
    return updated;
  }

  stats(): MicroLoraStats {
    const talora = this.manager.stats();
    return {
      backend: this.backend.name,
      index: this.indexKind,
      dimension: this.dimension,
      hiddenSize: this.hiddenSize,
      requests: this.requests,
      feedbacks: this.feedbacks,
      patterns: talora.patterns,
      talora,
    };
  }

  /**
   * Everything stored (every bank with its index, boundaries, adapter shape), the
   * index kind and a fingerprint of the embedder, in one checksummed container.
   * Restore with loadMicroLora(bytes, options).
   */
  async save(): Promise<Uint8Array> {
    const manager = await this.manager.save();
    return encodeMicroLoraFile({
      indexKind: this.indexKind,
      dimension: this.dimension,
      hiddenSize: this.hiddenSize,
      embedderFingerprint: embedderFingerprint(this.embedder),
      manager,
    });
  }

  private queryEmbedding(query: unknown): Float32Array {
    if (typeof query === 'string') return this.embedder.embedInto(query, this.queryScratch);
    if (query instanceof Float32Array) return query;
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `query must be text or a Float32Array embedding of length ${this.dimension}, got ${Object.prototype.toString.call(query)}`,
    );
  }

  private checkAdapter(adapter: LoraWeights, name: string): void {
    if (typeof adapter !== 'object' || adapter === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be LoraWeights (from adapterFor or createLora)`);
    }
    if (adapter.inFeatures !== this.hiddenSize || adapter.outFeatures !== this.hiddenSize) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `${name} is ${String(adapter.inFeatures)} → ${String(adapter.outFeatures)} but hidden states have ${this.hiddenSize} features`,
        { details: { inFeatures: adapter.inFeatures, outFeatures: adapter.outFeatures, hiddenSize: this.hiddenSize } },
      );
    }
  }

  /** Row → adapter: all 0, or the identity. Reused across calls. */
  private defaultIndex(rows: number, allFirst: boolean): Int32Array {
    if (this.rowsToFirst.length < rows) this.rowsToFirst = new Int32Array(Math.max(rows, 2 * this.rowsToFirst.length));
    const index = this.rowsToFirst.subarray(0, rows);
    if (allFirst) index.fill(0);
    else for (let r = 0; r < rows; r++) index[r] = r;
    return index;
  }

  private freeId(): string {
    let id = `p${this.nextId++}`;
    while (this.manager.has(id)) id = `p${this.nextId++}`;
    return id;
  }
}
