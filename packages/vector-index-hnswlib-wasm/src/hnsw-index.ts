import { MicroLoraError } from '@microlora/core';
import {
  assertId,
  assertK,
  assertSnapshotFits,
  checkVector,
  compareHits,
  corrupt,
  hitFromScore,
  resolveIndexOptions,
} from '@microlora/vector-index';
import type { IndexItem, Metric, SearchHit, SearchOptions, VectorIndex, VectorIndexOptions } from '@microlora/vector-index';
import { bytesToGraph, graphToBytes } from './graph-file.js';
import { decodeHnsw, encodeHnsw, HNSW_WASM_FORMAT } from './hnsw-codec.js';
import { loadHnswlibWasm, wasmErrorMessage } from './hnswlib-wasm.js';
import type { HnswlibWasmModule, WasmHnsw, WasmSpaceName } from './hnswlib-wasm.js';
import { readPersisted, writePersisted } from './persisted.js';

export interface HnswIndexOptions extends VectorIndexOptions {
  /** Graph degree (hnswlib M). Default 16. */
  m?: number;
  /** Candidate list size while building. Default 100. */
  efConstruction?: number;
  /** Candidate list size while searching (raised to k when k is larger). Default 64. */
  ef?: number;
  /** hnswlib's random seed for level assignment. Default 100. */
  seed?: number;
}

/** A VectorIndex over hnswlib-wasm with tunable search breadth and IndexedDB persistence. */
export interface HnswIndex extends VectorIndex {
  /** Search breadth used when a search passes no `ef`; settable at any time. */
  ef: number;
  readonly m: number;
  readonly efConstruction: number;
  /** save() stored in IndexedDB under `name` (one atomic put; replaces a previous one). */
  persist(name: string): Promise<void>;
  /** load() of what persist(name) stored; NOT_FOUND when nothing is stored under `name`. */
  restore(name: string): Promise<void>;
  /** Frees the graph's wasm memory; the index is unusable afterwards. */
  dispose(): void;
}

const SPACE: Record<Metric, WasmSpaceName> = { cosine: 'cosine', 'inner-product': 'ip', l2: 'l2' };
const MAX_M = 4096;
const MAX_EF = 1 << 20;

function positiveInt(name: string, value: unknown, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be an integer in [${min}, ${max}], got ${String(v)}`, {
      details: { name, value: v },
    });
  }
  return v;
}

/**
 * HNSW graph index over hnswlib-wasm, for browsers. Asynchronous, unlike the
 * hnswlib-node factory of the same name, because the wasm module must be compiled
 * and its IndexedDB file system mounted first (once per page; later calls are quick).
 * `const index = await createHnswIndex(options)` works with both packages.
 */
export async function createHnswIndex(options: HnswIndexOptions): Promise<HnswIndex> {
  // Validate before paying for the module load.
  const resolved = resolveIndexOptions(options);
  const module = await loadHnswlibWasm();
  return new HnswWasmIndex(module, options, resolved.capacity);
}

class HnswWasmIndex implements HnswIndex {
  readonly kind = 'hnswlib-wasm';
  readonly exact = false;
  readonly dimension: number;
  readonly metric: Metric;
  private mValue: number;
  private efConstructionValue: number;
  private efValue: number;
  /** ef chosen by the caller (option or setter) survives load(); otherwise the saved ef is adopted. */
  private efExplicit: boolean;
  private seed: number;
  private graph: WasmHnsw;
  private labelOf = new Map<string, number>();
  private idOf = new Map<number, string>();
  /** Labels of removed points, marked deleted in the graph, reused first by add(). */
  private freeLabels: number[] = [];
  private nextLabel = 0;
  private disposed = false;

  constructor(
    private readonly module: HnswlibWasmModule,
    options: HnswIndexOptions,
    capacity: number,
  ) {
    const { dimension, metric } = resolveIndexOptions(options);
    this.dimension = dimension;
    this.metric = metric;
    this.mValue = positiveInt('m', options.m, 16, 2, MAX_M);
    this.efConstructionValue = positiveInt('efConstruction', options.efConstruction, 100, 1, MAX_EF);
    this.efValue = positiveInt('ef', options.ef, 64, 1, MAX_EF);
    this.efExplicit = options.ef !== undefined;
    this.seed = positiveInt('seed', options.seed, 100, 0, 0xffff_ffff);
    this.graph = new module.HierarchicalNSW(SPACE[metric], dimension, '');
    this.graph.initIndex(capacity, this.mValue, this.efConstructionValue, this.seed);
    this.graph.setEfSearch(this.efValue);
  }

  get size(): number {
    return this.labelOf.size;
  }

  get capacity(): number {
    return this.live().getMaxElements();
  }

  get m(): number {
    return this.mValue;
  }

  get efConstruction(): number {
    return this.efConstructionValue;
  }

  get ef(): number {
    return this.efValue;
  }

  set ef(value: number) {
    this.efValue = positiveInt('ef', value, 64, 1, MAX_EF);
    this.efExplicit = true;
    this.live().setEfSearch(this.efValue);
  }

  has(id: string): boolean {
    return this.labelOf.has(id);
  }

  ids(): string[] {
    return Array.from(this.labelOf.keys());
  }

  add(id: string, vector: Float32Array): void {
    assertId(id);
    checkVector('vector', vector, this.dimension, this.metric);
    if (this.labelOf.has(id)) throw duplicate(id);
    this.ensureCapacity(1);
    this.insert(id, vector);
  }

  addBatch(items: Iterable<IndexItem>): void {
    const list = Array.from(items);
    const batchIds = new Set<string>();
    for (let i = 0; i < list.length; i++) {
      const item = list[i] as IndexItem;
      assertId(item?.id, `items[${i}].id`);
      checkVector(`items[${i}].vector`, item.vector, this.dimension, this.metric);
      if (this.labelOf.has(item.id) || batchIds.has(item.id)) throw duplicate(item.id);
      batchIds.add(item.id);
    }
    this.ensureCapacity(list.length);
    for (const item of list) this.insert(item.id, item.vector);
  }

  remove(id: string): void {
    assertId(id);
    const label = this.labelOf.get(id);
    if (label === undefined) {
      throw new MicroLoraError('NOT_FOUND', `id ${JSON.stringify(id)} is not in the index; check has(id) first`, {
        details: { id },
      });
    }
    this.call(() => this.live().markDelete(label), 'markDelete');
    this.labelOf.delete(id);
    this.idOf.delete(label);
    this.freeLabels.push(label);
  }

  search(query: Float32Array, k: number, options?: SearchOptions): SearchHit[] {
    checkVector('query', query, this.dimension, this.metric);
    assertK(k);
    const filter = options?.filter;
    if (filter !== undefined && typeof filter !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'options.filter must be a function (id) => boolean');
    }
    const ef = options?.ef === undefined ? this.efValue : positiveInt('options.ef', options.ef, 0, 1, MAX_EF);
    const graph = this.live();
    const n = this.size;
    if (n === 0) return [];
    // A JS exception unwinding through the wasm search would skip its cleanup; catch it, rethrow after.
    let filterError: { error: unknown } | undefined;
    const labelFilter =
      filter === undefined
        ? undefined
        : (label: number): boolean => {
            if (filterError !== undefined) return false;
            const id = this.idOf.get(label);
            if (id === undefined) return false;
            try {
              return filter(id) === true;
            } catch (error) {
              filterError = { error };
              return false;
            }
          };
    if (ef !== this.efValue) graph.setEfSearch(ef);
    let result: { distances: number[]; neighbors: number[] };
    try {
      result = this.call(() => graph.searchKnn(query, Math.min(k, n), labelFilter), 'searchKnn');
    } finally {
      if (ef !== this.efValue) graph.setEfSearch(this.efValue);
    }
    if (filterError !== undefined) throw filterError.error;
    const hits: SearchHit[] = [];
    for (let i = 0; i < result.neighbors.length; i++) {
      const id = this.idOf.get(result.neighbors[i] as number);
      if (id === undefined) continue;
      const d = result.distances[i] as number;
      hits.push(hitFromScore(id, this.metric, this.metric === 'l2' ? d : 1 - d));
    }
    return hits.sort(compareHits);
  }

  async save(): Promise<Uint8Array> {
    const graph = this.live();
    // The ids are read in the same tick as the graph file is written, so they match it.
    const { bytes, captured } = await graphToBytes(graph, () => {
      const ids = Array.from(this.labelOf.keys());
      return {
        ids,
        labels: Uint32Array.from(ids, (id) => this.labelOf.get(id) as number),
        capacity: graph.getMaxElements(),
        ef: this.efValue,
      };
    });
    return encodeHnsw({
      metric: this.metric,
      dimension: this.dimension,
      m: this.mValue,
      efConstruction: this.efConstructionValue,
      ef: captured.ef,
      seed: this.seed,
      capacity: captured.capacity,
      labels: captured.labels,
      ids: captured.ids,
      graph: bytes,
    });
  }

  async load(bytes: Uint8Array): Promise<void> {
    this.live();
    const what = HNSW_WASM_FORMAT.what;
    const snapshot = decodeHnsw(bytes);
    assertSnapshotFits(what, snapshot, this);
    const graph = await bytesToGraph(this.module, SPACE[this.metric], this.dimension, snapshot.graph, snapshot.capacity, what);
    let freeLabels: number[];
    let nextLabel: number;
    try {
      if (graph.getNumDimensions() !== this.dimension) throw corrupt(what, 'the graph dimension disagrees with the header');
      // getUsedLabels lists live points only; they must be exactly the saved ids' labels.
      const used = new Set(graph.getUsedLabels());
      const deleted = graph.getDeletedLabels();
      if (used.size !== snapshot.labels.length) {
        throw corrupt(what, `the graph has ${used.size} live points but the header lists ${snapshot.labels.length} ids`);
      }
      for (const label of snapshot.labels) {
        if (!used.has(label)) throw corrupt(what, `label ${label} is not a live point of the graph`);
      }
      freeLabels = deleted;
      nextLabel = 0;
      for (const label of used) nextLabel = Math.max(nextLabel, label + 1);
      for (const label of deleted) nextLabel = Math.max(nextLabel, label + 1);
    } catch (error) {
      graph.delete?.();
      throw error;
    }
    // Commit: nothing above touched this index.
    const old = this.graph;
    this.graph = graph;
    old.delete?.();
    this.labelOf = new Map(snapshot.ids.map((id, i) => [id, snapshot.labels[i] as number]));
    this.idOf = new Map(snapshot.ids.map((id, i) => [snapshot.labels[i] as number, id]));
    this.freeLabels = freeLabels;
    this.nextLabel = nextLabel;
    this.mValue = snapshot.m;
    this.efConstructionValue = snapshot.efConstruction;
    this.seed = snapshot.seed;
    // readIndex resets ef to 10; put back the caller's choice, else the saved one.
    if (!this.efExplicit) this.efValue = snapshot.ef;
    this.graph.setEfSearch(this.efValue);
  }

  async persist(name: string): Promise<void> {
    await writePersisted(name, await this.save());
  }

  async restore(name: string): Promise<void> {
    await this.load(await readPersisted(name));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.graph.delete?.();
    this.labelOf.clear();
    this.idOf.clear();
  }

  private live(): WasmHnsw {
    if (this.disposed) throw new MicroLoraError('INVALID_ARGUMENT', 'this hnswlib-wasm index was disposed; create a new one');
    return this.graph;
  }

  /** Runs a graph call, turning a C++ exception into a MicroLoraError that names it. */
  private call<T>(run: () => T, op: string): T {
    try {
      return run();
    } catch (cause) {
      if (cause instanceof MicroLoraError) throw cause;
      throw new MicroLoraError('IO_ERROR', `hnswlib-wasm ${op} failed: ${wasmErrorMessage(cause, this.module)}`, { cause });
    }
  }

  /**
   * Grows the graph (doubling) so `extra` adds fit. Deleted slots are reused, but this
   * build's addPoint refuses any add (even an in-place update) once the element count,
   * deleted points included, has reached capacity — so a reuse needs one spare slot.
   */
  private ensureCapacity(extra: number): void {
    if (extra <= 0) return;
    const graph = this.live();
    const max = graph.getMaxElements();
    const fresh = extra - this.freeLabels.length;
    const needed = graph.getCurrentCount() + Math.max(fresh, 1);
    if (needed > max) this.call(() => graph.resizeIndex(Math.max(needed, max * 2)), 'resizeIndex');
  }

  private insert(id: string, vector: Float32Array): void {
    const graph = this.live();
    const reused = this.freeLabels.pop();
    if (reused === undefined) {
      const label = this.nextLabel++;
      this.call(() => graph.addPoint(vector, label, false), 'addPoint');
      this.bind(id, label);
      return;
    }
    // This build always allows replacing deleted points, which forbids addPoint on a
    // deleted label; unmarking first turns the add into an in-place update of that slot.
    this.call(() => {
      graph.unmarkDelete(reused);
      graph.addPoint(vector, reused, false);
    }, 'addPoint');
    this.bind(id, reused);
  }

  private bind(id: string, label: number): void {
    this.labelOf.set(id, label);
    this.idOf.set(label, id);
  }
}

function duplicate(id: string): MicroLoraError {
  return new MicroLoraError(
    'DUPLICATE_ID',
    `id ${JSON.stringify(id)} is already in the index; remove() it first to replace its vector`,
    { details: { id } },
  );
}
