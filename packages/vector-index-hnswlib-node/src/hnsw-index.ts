import { promises as fs } from 'node:fs';
import hnswlib from 'hnswlib-node';
import type { HierarchicalNSW, SpaceName } from 'hnswlib-node';
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
import { decodeHnsw, encodeHnsw, HNSW_NODE_FORMAT } from './hnsw-codec.js';
import { readBytes, withTempPath, writeFileAtomic } from './files.js';

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

/** A VectorIndex over hnswlib-node with tunable search breadth and file persistence. */
export interface HnswIndex extends VectorIndex {
  /** Search breadth used when a search passes no `ef`; settable at any time. */
  ef: number;
  readonly m: number;
  readonly efConstruction: number;
  /** save() written atomically to `path` (temp file in the same directory, fsync, rename). */
  saveToFile(path: string): Promise<void>;
  /** load() of a file written by saveToFile(). */
  loadFromFile(path: string): Promise<void>;
}

const SPACE: Record<Metric, SpaceName> = { cosine: 'cosine', 'inner-product': 'ip', l2: 'l2' };
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
 * HNSW graph index over hnswlib-node (native). Removal marks points deleted in the
 * graph and their labels are reused by later adds (hnswlib updates the point in
 * place), so deletes never leak graph slots; the graph resizes itself when full.
 */
export function createHnswIndex(options: HnswIndexOptions): HnswIndex {
  return new HnswNodeIndex(options);
}

class HnswNodeIndex implements HnswIndex {
  readonly kind = 'hnswlib-node';
  readonly exact = false;
  readonly dimension: number;
  readonly metric: Metric;
  private mValue: number;
  private efConstructionValue: number;
  private efValue: number;
  /** ef chosen by the caller (option or setter) survives load(); otherwise the saved ef is adopted. */
  private efExplicit: boolean;
  private seed: number;
  private graph: HierarchicalNSW;
  private labelOf = new Map<string, number>();
  private idOf = new Map<number, string>();
  /** Labels of removed points, marked deleted in the graph, reused first by add(). */
  private freeLabels: number[] = [];
  /** Next never-used label. */
  private nextLabel = 0;
  /** hnswlib-node takes plain arrays; one reusable array avoids an allocation per call. */
  private readonly scratch: number[];

  constructor(options: HnswIndexOptions) {
    const { dimension, metric, capacity } = resolveIndexOptions(options);
    this.dimension = dimension;
    this.metric = metric;
    this.mValue = positiveInt('m', options.m, 16, 2, MAX_M);
    this.efConstructionValue = positiveInt('efConstruction', options.efConstruction, 100, 1, MAX_EF);
    this.efValue = positiveInt('ef', options.ef, 64, 1, MAX_EF);
    this.efExplicit = options.ef !== undefined;
    this.seed = positiveInt('seed', options.seed, 100, 0, 0xffff_ffff);
    this.scratch = new Array<number>(dimension).fill(0);
    this.graph = new hnswlib.HierarchicalNSW(SPACE[metric], dimension);
    this.graph.initIndex({
      maxElements: capacity,
      m: this.mValue,
      efConstruction: this.efConstructionValue,
      randomSeed: this.seed,
    });
    this.graph.setEf(this.efValue);
  }

  get size(): number {
    return this.labelOf.size;
  }

  get capacity(): number {
    return this.graph.getMaxElements();
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
    this.graph.setEf(this.efValue);
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
    this.graph.markDelete(label);
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
    const n = this.size;
    if (n === 0) return [];
    const q = this.toArray(query);
    // A JS exception inside hnswlib's native filter callback is unsafe; catch it here and rethrow after.
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
    if (ef !== this.efValue) this.graph.setEf(ef);
    let result: { distances: number[]; neighbors: number[] };
    try {
      result = this.graph.searchKnn(q, Math.min(k, n), labelFilter);
    } finally {
      if (ef !== this.efValue) this.graph.setEf(this.efValue);
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
    // writeIndexSync, not writeIndex: the async variant reads the graph on a worker thread
    // while this thread may keep adding to it. Sync also keeps the ids consistent with the file.
    const { graph, ids, labels } = await withTempPath(async (path) => {
      this.graph.writeIndexSync(path);
      const ids = Array.from(this.labelOf.keys());
      const labels = Uint32Array.from(ids, (id) => this.labelOf.get(id) as number);
      return { graph: await readBytes(path), ids, labels };
    });
    return encodeHnsw({
      metric: this.metric,
      dimension: this.dimension,
      m: this.mValue,
      efConstruction: this.efConstructionValue,
      ef: this.efValue,
      seed: this.seed,
      labels,
      ids,
      graph,
    });
  }

  async load(bytes: Uint8Array): Promise<void> {
    const what = HNSW_NODE_FORMAT.what;
    const snapshot = decodeHnsw(bytes);
    assertSnapshotFits(what, snapshot, this);
    const graph = new hnswlib.HierarchicalNSW(SPACE[this.metric], this.dimension);
    await withTempPath(async (path) => {
      await fs.writeFile(path, snapshot.graph);
      try {
        await graph.readIndex(path, false);
      } catch (cause) {
        throw corrupt(what, `hnswlib rejected the graph (${(cause as Error)?.message ?? String(cause)})`, cause);
      }
    });
    if (graph.getNumDimensions() !== this.dimension) throw corrupt(what, 'the graph dimension disagrees with the header');
    const graphLabels = graph.getIdsList();
    const inGraph = new Set(graphLabels);
    const live = new Set<number>();
    for (const label of snapshot.labels) {
      if (!inGraph.has(label)) throw corrupt(what, `label ${label} is not in the graph`);
      live.add(label);
    }
    // Commit: nothing above touched this index.
    this.graph = graph;
    this.labelOf = new Map(snapshot.ids.map((id, i) => [id, snapshot.labels[i] as number]));
    this.idOf = new Map(snapshot.ids.map((id, i) => [snapshot.labels[i] as number, id]));
    this.freeLabels = graphLabels.filter((label) => !live.has(label));
    this.nextLabel = graphLabels.reduce((max, label) => Math.max(max, label + 1), 0);
    this.mValue = snapshot.m;
    this.efConstructionValue = snapshot.efConstruction;
    this.seed = snapshot.seed;
    // readIndex resets ef to 10; put back the caller's choice, else the saved one.
    if (!this.efExplicit) this.efValue = snapshot.ef;
    this.graph.setEf(this.efValue);
  }

  async saveToFile(path: string): Promise<void> {
    await writeFileAtomic(path, await this.save());
  }

  async loadFromFile(path: string): Promise<void> {
    await this.load(await readBytes(path));
  }

  /** Grows the graph (doubling) so `extra` adds fit, counting reusable deleted slots. */
  private ensureCapacity(extra: number): void {
    const fresh = extra - this.freeLabels.length;
    if (fresh <= 0) return;
    const max = this.graph.getMaxElements();
    // Deleted points keep their graph slots, so the graph's count includes them.
    const needed = this.graph.getCurrentCount() + fresh;
    if (needed > max) this.graph.resizeIndex(Math.max(needed, max * 2));
  }

  private insert(id: string, vector: Float32Array): void {
    // Re-adding a deleted label makes hnswlib unmark it and update the point in place.
    const label = this.freeLabels.pop() ?? this.nextLabel++;
    this.graph.addPoint(this.toArray(vector), label);
    this.labelOf.set(id, label);
    this.idOf.set(label, id);
  }

  private toArray(vector: Float32Array): number[] {
    const out = this.scratch;
    for (let i = 0; i < out.length; i++) out[i] = vector[i] as number;
    return out;
  }
}

function duplicate(id: string): MicroLoraError {
  return new MicroLoraError(
    'DUPLICATE_ID',
    `id ${JSON.stringify(id)} is already in the index; remove() it first to replace its vector`,
    { details: { id } },
  );
}
