/** Distance metrics. Distances are "smaller is closer" for every metric. */
export type Metric = 'cosine' | 'inner-product' | 'l2';

/**
 * One search result.
 * - cosine:        similarity = cos(q, v) ∈ [−1, 1],  distance = 1 − similarity
 * - inner-product: similarity = q·v,                 distance = 1 − similarity
 * - l2:            distance = ‖q − v‖² (squared),     similarity = 1 / (1 + distance)
 */
export interface SearchHit {
  id: string;
  distance: number;
  similarity: number;
}

export interface SearchOptions {
  /** Search breadth for approximate indexes, for this call only (ignored by exact ones). */
  ef?: number;
  /** Only ids for which this returns true are returned (it may be called for a subset of candidates only). */
  filter?: (id: string) => boolean;
}

export interface IndexItem {
  id: string;
  vector: Float32Array;
}

export interface VectorIndexOptions {
  dimension: number;
  /** Default 'cosine'. */
  metric?: Metric;
  /** Initial number of slots; indexes grow automatically past it. */
  capacity?: number;
}

/**
 * The contract every index adapter implements (exact flat, hnswlib-node,
 * hnswlib-wasm, hamming). Errors are MicroLoraError:
 * - wrong vector length → DIMENSION_MISMATCH; NaN/Infinity → NON_FINITE;
 *   a zero vector under cosine → INVALID_ARGUMENT;
 * - add() of an id already present → DUPLICATE_ID; remove() of an unknown id → NOT_FOUND;
 * - k not a positive integer → INVALID_ARGUMENT (k larger than size returns size hits);
 * - load() of truncated or corrupted bytes → CORRUPT_DATA, of another format version →
 *   UNSUPPORTED_VERSION, of another dimension or metric → DIMENSION_MISMATCH / INVALID_ARGUMENT.
 * Vectors passed in are copied (or encoded); the caller may reuse its buffers.
 * A failed add/addBatch/load leaves the index unchanged. Every adapter runs
 * `vectorIndexConformanceCases` from '@microlora/vector-index/conformance'.
 */
export interface VectorIndex {
  /** Adapter name, e.g. 'flat', 'hnswlib-node', 'hnswlib-wasm', 'hamming'. */
  readonly kind: string;
  readonly dimension: number;
  readonly metric: Metric;
  /** Whether search returns the exact top k (true for flat). */
  readonly exact: boolean;
  /** Number of live vectors. */
  readonly size: number;
  /** Slots allocated now (≥ size). */
  readonly capacity: number;

  add(id: string, vector: Float32Array): void;
  /** All-or-nothing: validates every item before adding any. */
  addBatch(items: Iterable<IndexItem>): void;
  /** Removes `id`; NOT_FOUND if absent. */
  remove(id: string): void;
  has(id: string): boolean;
  /** Up to k hits sorted by ascending distance (ties by id, in code-unit order); [] when empty. */
  search(query: Float32Array, k: number, options?: SearchOptions): SearchHit[];
  /** Every live id, in no particular order. */
  ids(): string[];
  /** Serialises the whole index (ids included) to bytes. */
  save(): Promise<Uint8Array>;
  /** Replaces the contents with what save() produced. */
  load(bytes: Uint8Array): Promise<void>;
}
