import { promises as fs } from 'node:fs';
import hnswlib from 'hnswlib-node';
import type { HierarchicalNSW, SpaceName } from 'hnswlib-node';
import { corrupt, resolveIndexOptions } from '@microlora/vector-index';
import { LabelMap, LabelledHnswIndex, assertSnapshotFits, decodeHnswContainer, encodeHnswContainer } from '@microlora/vector-index/adapter-kit';
import type { HnswParameterOptions, HnswTunable, LabelledNeighbors } from '@microlora/vector-index/adapter-kit';
import type { Metric, VectorIndex, VectorIndexOptions } from '@microlora/vector-index';
import { HNSW_NODE_LAYOUT } from './hnsw-codec.js';
import { readBytes, withTempPath, writeFileAtomic } from './files.js';

/** Index options plus the HNSW ones: m (16), efConstruction (100), ef (64), seed (100). */
export interface HnswIndexOptions extends VectorIndexOptions, HnswParameterOptions {}

/** A VectorIndex over hnswlib-node with tunable search breadth and file persistence. */
export interface HnswIndex extends VectorIndex, HnswTunable {
  /** save() written atomically to `path` (temp file in the same directory, fsync, rename). */
  saveToFile(path: string): Promise<void>;
  /** load() of a file written by saveToFile(). */
  loadFromFile(path: string): Promise<void>;
}

const SPACE: Record<Metric, SpaceName> = { cosine: 'cosine', 'inner-product': 'ip', l2: 'l2' };

/**
 * HNSW graph index over hnswlib-node (native). Removal marks points deleted in the
 * graph and their labels are reused by later adds (hnswlib updates the point in
 * place), so deletes never leak graph slots; the graph resizes itself when full.
 */
export function createHnswIndex(options: HnswIndexOptions): HnswIndex {
  return new HnswNodeIndex(options);
}

class HnswNodeIndex extends LabelledHnswIndex implements HnswIndex {
  readonly kind = 'hnswlib-node';
  private graph: HierarchicalNSW;
  /** hnswlib-node takes plain arrays; one reusable array avoids an allocation per call. */
  private readonly scratch: number[];

  constructor(options: HnswIndexOptions) {
    const { dimension, metric, capacity } = resolveIndexOptions(options);
    super(dimension, metric, options);
    const { m, efConstruction, ef, seed } = this.parameters();
    this.scratch = new Array<number>(dimension).fill(0);
    this.graph = new hnswlib.HierarchicalNSW(SPACE[metric], dimension);
    this.graph.initIndex({ maxElements: capacity, m, efConstruction, randomSeed: seed });
    this.graph.setEf(ef);
  }

  get capacity(): number {
    return this.graph.getMaxElements();
  }

  async save(): Promise<Uint8Array> {
    // writeIndexSync, not writeIndex: the async variant reads the graph on a worker thread
    // while this thread may keep adding to it. Sync also keeps the ids consistent with the file.
    const { graph, entries } = await withTempPath(async (path) => {
      this.graph.writeIndexSync(path);
      const entries = this.labels.entries();
      return { graph: await readBytes(path), entries };
    });
    const header = { metric: this.metric, dimension: this.dimension };
    return encodeHnswContainer(HNSW_NODE_LAYOUT, { ...header, ...this.parameters(), ...entries, graph });
  }

  async load(bytes: Uint8Array): Promise<void> {
    const what = HNSW_NODE_LAYOUT.format.what;
    const snapshot = decodeHnswContainer(HNSW_NODE_LAYOUT, bytes);
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
    // getIdsList lists the label of every slot, deleted points included: those become reusable.
    const labels = LabelMap.restore(snapshot, graph.getIdsList(), what);
    // Commit: nothing above touched this index.
    this.graph = graph;
    this.adoptLoaded(labels, snapshot);
  }

  async saveToFile(path: string): Promise<void> {
    await writeFileAtomic(path, await this.save());
  }

  async loadFromFile(path: string): Promise<void> {
    await this.load(await readBytes(path));
  }

  protected setLibraryEf(ef: number): void {
    this.graph.setEf(ef);
  }

  /** Grows the graph (doubling) so `extra` adds fit, counting reusable deleted slots. */
  protected reserve(extra: number): void {
    const fresh = extra - this.labels.reusable;
    if (fresh <= 0) return;
    const max = this.graph.getMaxElements();
    // Deleted points keep their graph slots, so the graph's count includes them.
    const needed = this.graph.getCurrentCount() + fresh;
    if (needed > max) this.graph.resizeIndex(Math.max(needed, max * 2));
  }

  /** Re-adding a deleted label makes hnswlib unmark it and update the point in place. */
  protected placePoint(label: number, vector: Float32Array): void {
    this.graph.addPoint(this.toArray(vector), label);
  }

  protected deletePoint(label: number): void {
    this.graph.markDelete(label);
  }

  protected searchLabels(query: Float32Array, count: number, accepts: ((label: number) => boolean) | undefined): LabelledNeighbors {
    return this.graph.searchKnn(this.toArray(query), count, accepts);
  }

  private toArray(vector: Float32Array): number[] {
    const out = this.scratch;
    for (let i = 0; i < out.length; i++) out[i] = vector[i] as number;
    return out;
  }
}
