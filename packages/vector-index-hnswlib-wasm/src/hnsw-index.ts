import { MicroLoraError } from '@microlora/core';
import { corrupt, resolveIndexOptions } from '@microlora/vector-index';
import type { ResolvedIndexOptions } from '@microlora/vector-index';
import { LabelMap, LabelledHnswIndex, assertSnapshotFits, decodeHnswContainer, encodeHnswContainer, resolveHnswParameters } from '@microlora/vector-index/adapter-kit';
import type { HnswParameterOptions, HnswTunable, LabelledNeighbors } from '@microlora/vector-index/adapter-kit';
import type { Metric, VectorIndex, VectorIndexOptions } from '@microlora/vector-index';
import { bytesToGraph, graphToBytes } from './graph-file.js';
import { HNSW_WASM_LAYOUT } from './hnsw-codec.js';
import { loadHnswlibWasm, wasmErrorMessage } from './hnswlib-wasm.js';
import type { HnswlibWasmModule, WasmHnsw, WasmSpaceName } from './hnswlib-wasm.js';
import { readPersisted, writePersisted } from './persisted.js';

/** Index options plus the HNSW ones: m (16), efConstruction (100), ef (64), seed (100). */
export interface HnswIndexOptions extends VectorIndexOptions, HnswParameterOptions {}

/** A VectorIndex over hnswlib-wasm with tunable search breadth and IndexedDB persistence. */
export interface HnswIndex extends VectorIndex, HnswTunable {
  /** save() stored in IndexedDB under `name` (one atomic put; replaces a previous one). */
  persist(name: string): Promise<void>;
  /** load() of what persist(name) stored; NOT_FOUND when nothing is stored under `name`. */
  restore(name: string): Promise<void>;
  /** Frees the graph's wasm memory; the index is unusable afterwards. */
  dispose(): void;
}

const SPACE: Record<Metric, WasmSpaceName> = { cosine: 'cosine', 'inner-product': 'ip', l2: 'l2' };

/**
 * HNSW graph index over hnswlib-wasm, for browsers. Asynchronous, unlike the
 * hnswlib-node factory of the same name, because the wasm module must be compiled
 * and its IndexedDB file system mounted first (once per page; later calls are quick).
 * `const index = await createHnswIndex(options)` works with both packages.
 */
export async function createHnswIndex(options: HnswIndexOptions): Promise<HnswIndex> {
  // Validate before paying for the module load.
  const resolved = resolveIndexOptions(options);
  resolveHnswParameters(options);
  const module = await loadHnswlibWasm();
  return new HnswWasmIndex(module, resolved, options);
}

class HnswWasmIndex extends LabelledHnswIndex implements HnswIndex {
  readonly kind = 'hnswlib-wasm';
  private graph: WasmHnsw;
  private disposed = false;

  constructor(
    private readonly module: HnswlibWasmModule,
    { dimension, metric, capacity }: ResolvedIndexOptions,
    options: HnswIndexOptions,
  ) {
    super(dimension, metric, options);
    const { m, efConstruction, ef, seed } = this.parameters();
    this.graph = new module.HierarchicalNSW(SPACE[metric], dimension, '');
    this.graph.initIndex(capacity, m, efConstruction, seed);
    this.graph.setEfSearch(ef);
  }

  get capacity(): number {
    return this.live().getMaxElements();
  }

  async save(): Promise<Uint8Array> {
    const graph = this.live();
    // The ids are read in the same tick as the graph file is written, so they match it.
    const { bytes, captured } = await graphToBytes(graph, () => ({
      entries: this.labels.entries(),
      parameters: this.parameters(),
      capacity: graph.getMaxElements(),
    }));
    const { entries, parameters, capacity } = captured;
    const header = { metric: this.metric, dimension: this.dimension };
    return encodeHnswContainer(HNSW_WASM_LAYOUT, { ...header, ...parameters, capacity, ...entries, graph: bytes });
  }

  async load(bytes: Uint8Array): Promise<void> {
    this.live();
    const what = HNSW_WASM_LAYOUT.format.what;
    const snapshot = decodeHnswContainer(HNSW_WASM_LAYOUT, bytes);
    assertSnapshotFits(what, snapshot, this);
    // The layout stores the capacity, so decoding always yields it.
    const capacity = snapshot.capacity as number;
    const graph = await bytesToGraph(this.module, SPACE[this.metric], this.dimension, snapshot.graph, capacity, what);
    let labels: LabelMap;
    try {
      if (graph.getNumDimensions() !== this.dimension) throw corrupt(what, 'the graph dimension disagrees with the header');
      // getUsedLabels lists live points only; they must be exactly the saved ids' labels.
      const used = graph.getUsedLabels();
      const live = new Set(used);
      if (live.size !== snapshot.labels.length) {
        throw corrupt(what, `the graph has ${live.size} live points but the header lists ${snapshot.labels.length} ids`);
      }
      for (const label of snapshot.labels) {
        if (!live.has(label)) throw corrupt(what, `label ${label} is not a live point of the graph`);
      }
      // Deleted points keep their slots: their labels become reusable.
      labels = LabelMap.restore(snapshot, [...used, ...graph.getDeletedLabels()], what);
    } catch (error) {
      graph.delete?.();
      throw error;
    }
    // Commit: nothing above touched this index.
    const old = this.graph;
    this.graph = graph;
    old.delete?.();
    this.adoptLoaded(labels, snapshot);
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
    this.labels.clear();
  }

  protected override assertUsable(): void {
    this.live();
  }

  protected setLibraryEf(ef: number): void {
    this.live().setEfSearch(ef);
  }

  /**
   * Grows the graph (doubling) so `extra` adds fit. Deleted slots are reused, but this
   * build's addPoint refuses any add (even an in-place update) once the element count,
   * deleted points included, has reached capacity — so a reuse needs one spare slot.
   */
  protected reserve(extra: number): void {
    if (extra <= 0) return;
    const graph = this.live();
    const max = graph.getMaxElements();
    const fresh = extra - this.labels.reusable;
    const needed = graph.getCurrentCount() + Math.max(fresh, 1);
    if (needed > max) this.call(() => graph.resizeIndex(Math.max(needed, max * 2)), 'resizeIndex');
  }

  protected placePoint(label: number, vector: Float32Array, reused: boolean): void {
    const graph = this.live();
    this.call(() => {
      // This build always allows replacing deleted points, which forbids addPoint on a
      // deleted label; unmarking first turns the add into an in-place update of that slot.
      if (reused) graph.unmarkDelete(label);
      graph.addPoint(vector, label, false);
    }, 'addPoint');
  }

  protected deletePoint(label: number): void {
    this.call(() => this.live().markDelete(label), 'markDelete');
  }

  protected searchLabels(query: Float32Array, count: number, accepts: ((label: number) => boolean) | undefined): LabelledNeighbors {
    const graph = this.live();
    return this.call(() => graph.searchKnn(query, count, accepts), 'searchKnn');
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
}
