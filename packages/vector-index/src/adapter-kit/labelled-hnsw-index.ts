import type { IndexItem, Metric, SearchHit, SearchOptions, VectorIndex } from '../contract.js';
import { assertId } from '../validate.js';
import { guardLabelFilter } from './guarded-label-filter.js';
import { checkEf, resolveHnswParameters } from './hnsw-parameters.js';
import type { HnswParameterOptions, HnswParameters } from './hnsw-parameters.js';
import { checkNewBatch, checkNewEntry, checkSearch } from './index-arguments.js';
import { LabelMap } from './label-map.js';
import { hitsFromNeighbors } from './neighbor-hits.js';
import type { LabelledNeighbors } from './neighbor-hits.js';

/** The HNSW members an HNSW adapter adds to the VectorIndex contract. */
export interface HnswTunable {
  /** Search breadth used when a search passes no `ef`; settable at any time. */
  ef: number;
  readonly m: number;
  readonly efConstruction: number;
}

/**
 * What every HNSW adapter over a library that addresses points by integer labels
 * (hnswlib-node, hnswlib-wasm) does the same way: the contract's checks, all-or-nothing
 * batches, id ↔ label mapping with reuse of deleted slots, the HNSW parameters with a
 * per-search ef, filters guarded across the library boundary, and hits in the contract's
 * form. A subclass creates the library index from parameters(), supplies the library calls
 * (the protected abstract members), `kind`, `capacity`, save() and load(); load() builds
 * a LabelMap with LabelMap.restore and commits it with adoptLoaded().
 */
export abstract class LabelledHnswIndex implements VectorIndex, HnswTunable {
  abstract readonly kind: string;
  readonly exact = false;
  protected labels = new LabelMap();
  private tuning: HnswParameters;
  /** An ef the caller chose (option or setter) survives load(); otherwise the saved one is adopted. */
  private efChosen: boolean;

  /** Checks the HNSW fields of `options` (INVALID_ARGUMENT) and applies their defaults. */
  constructor(
    readonly dimension: number,
    readonly metric: Metric,
    options: HnswParameterOptions,
  ) {
    this.tuning = resolveHnswParameters(options);
    this.efChosen = options.ef !== undefined;
  }

  abstract get capacity(): number;

  get size(): number {
    return this.labels.size;
  }

  get m(): number {
    return this.tuning.m;
  }

  get efConstruction(): number {
    return this.tuning.efConstruction;
  }

  get ef(): number {
    return this.tuning.ef;
  }

  set ef(value: number) {
    this.tuning.ef = checkEf('ef', value);
    this.efChosen = true;
    this.setLibraryEf(this.tuning.ef);
  }

  has(id: string): boolean {
    return this.labels.has(id);
  }

  ids(): string[] {
    return this.labels.ids();
  }

  add(id: string, vector: Float32Array): void {
    checkNewEntry(this, id, vector);
    this.reserve(1);
    this.insert(id, vector);
  }

  addBatch(items: Iterable<IndexItem>): void {
    const { items: list } = checkNewBatch(this, items);
    this.reserve(list.length);
    for (const item of list) this.insert(item.id, item.vector);
  }

  remove(id: string): void {
    assertId(id);
    this.labels.remove(id, (label) => this.deletePoint(label));
  }

  search(query: Float32Array, k: number, options?: SearchOptions): SearchHit[] {
    const { filter } = checkSearch(this, query, k, options);
    const ef = options?.ef === undefined ? this.tuning.ef : checkEf('options.ef', options.ef);
    this.assertUsable();
    const n = this.size;
    if (n === 0) return [];
    // An exception unwinding through native or wasm code is unsafe: the guard holds it until the library returns.
    const guard = guardLabelFilter(this.labels, filter);
    if (ef !== this.tuning.ef) this.setLibraryEf(ef);
    let result: LabelledNeighbors;
    try {
      result = this.searchLabels(query, Math.min(k, n), guard?.accepts);
    } finally {
      if (ef !== this.tuning.ef) this.setLibraryEf(this.tuning.ef);
    }
    guard?.rethrowIfFailed();
    return hitsFromNeighbors(result, this.labels, this.metric);
  }

  abstract save(): Promise<Uint8Array>;
  abstract load(bytes: Uint8Array): Promise<void>;

  /** The current HNSW parameters (a copy): to create the library index, and to save. */
  protected parameters(): HnswParameters {
    return { ...this.tuning };
  }

  /**
   * Commits a loaded graph's labels and parameters (its ef only when the caller chose none)
   * and re-applies ef, which hnswlib's readIndex resets. Call once the new graph is in place.
   */
  protected adoptLoaded(labels: LabelMap, saved: HnswParameters): void {
    const { m, efConstruction, seed } = saved;
    this.labels = labels;
    this.tuning = { m, efConstruction, ef: this.efChosen ? this.tuning.ef : saved.ef, seed };
    this.setLibraryEf(this.tuning.ef);
  }

  /** Throws when the library's memory is gone (e.g. after dispose()); by default it never is. */
  protected assertUsable(): void {}

  /** Sets the library's default search breadth. */
  protected abstract setLibraryEf(ef: number): void;
  /** Makes room for `extra` more points; `this.labels.reusable` of them will reuse deleted slots. */
  protected abstract reserve(extra: number): void;
  /** Stores `vector` under `label`; `reused` when the label belongs to a deleted point. */
  protected abstract placePoint(label: number, vector: Float32Array, reused: boolean): void;
  /** Marks the point under `label` deleted (its slot stays, for reuse). */
  protected abstract deletePoint(label: number): void;
  /** The library's k-NN of `query` (1 ≤ count ≤ size), passing `accepts` as its label filter. */
  protected abstract searchLabels(
    query: Float32Array,
    count: number,
    accepts: ((label: number) => boolean) | undefined,
  ): LabelledNeighbors;

  private insert(id: string, vector: Float32Array): void {
    this.labels.add(id, (label, reused) => this.placePoint(label, vector, reused));
  }
}
