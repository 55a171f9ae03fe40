import { ByteWriter, MicroLoraError, corrupt, openContainer } from '@microlora/core';
import type { ContainerFormat } from '@microlora/core';
import { resolveIndexOptions } from '@microlora/vector-index';
import type { Metric, VectorIndexOptions } from '@microlora/vector-index';
import {
  LabelMap,
  LabelledHnswIndex,
  assertSnapshotFits,
  decodeHnswContainer,
  encodeHnswContainer,
} from '@microlora/vector-index/adapter-kit';
import type { HnswContainerLayout, HnswParameterOptions, LabelledNeighbors } from '@microlora/vector-index/adapter-kit';
import { referenceScore } from '@microlora/vector-index/conformance';

/**
 * A stand-in for a label-addressed HNSW library, in plain JS: fixed-capacity slots,
 * markDelete keeps a slot, and a search looks only at the first ef·32 slots (so a wider
 * ef really finds more). Distances follow hnswlib: 1 − similarity, or the squared L2.
 * Every library call is recorded, so tests can see what the kit asked for.
 */
export class FakeLabelLibrary {
  vectors: Float32Array[] = [];
  deleted: boolean[] = [];
  ef = 10;
  readonly calls: string[] = [];
  /** Set to make the next search throw (after calling the filter once), like a library error. */
  failNextSearch = false;

  constructor(
    readonly dimension: number,
    readonly metric: Metric,
    public capacity: number,
  ) {}

  get count(): number {
    return this.vectors.length;
  }

  add(label: number, vector: Float32Array, reused: boolean): void {
    this.calls.push(`add ${label}${reused ? ' reused' : ''}`);
    if (label > this.vectors.length) throw new Error(`label ${label} skips slots`);
    if (label === this.vectors.length && this.count >= this.capacity) throw new Error('the library is full');
    if (label < this.vectors.length && this.deleted[label] !== true) throw new Error(`label ${label} is live`);
    this.vectors[label] = vector.slice();
    this.deleted[label] = false;
  }

  markDelete(label: number): void {
    this.calls.push(`delete ${label}`);
    if (this.deleted[label] !== false) throw new Error(`label ${label} is not live`);
    this.deleted[label] = true;
  }

  resize(capacity: number): void {
    this.calls.push(`resize ${capacity}`);
    this.capacity = capacity;
  }

  setEf(ef: number): void {
    this.calls.push(`ef ${ef}`);
    this.ef = ef;
  }

  search(query: Float32Array, count: number, accepts: ((label: number) => boolean) | undefined): LabelledNeighbors {
    this.calls.push(`search ${count} ef ${this.ef}`);
    const found: { label: number; distance: number }[] = [];
    const scanned = Math.min(this.count, this.ef * 32);
    for (let label = 0; label < scanned; label++) {
      if (this.deleted[label] === true) continue;
      if (accepts !== undefined && !accepts(label)) continue;
      if (this.failNextSearch) {
        this.failNextSearch = false;
        throw new Error('library search failed');
      }
      // The contract's distance is hnswlib's: 1 − similarity, or the squared L2.
      found.push({ label, distance: referenceScore(this.metric, query, this.vectors[label] as Float32Array).distance });
    }
    found.sort((a, b) => a.distance - b.distance);
    const top = found.slice(0, count);
    return { neighbors: top.map((f) => f.label), distances: top.map((f) => f.distance) };
  }

  /** The slots as bytes: u32 count, u8 deleted flag per slot, count·dimension f32. */
  toBytes(): Uint8Array {
    const w = new ByteWriter({ magic: 'FAKE', version: 1, what: 'fake graph' });
    w.u32(this.count);
    for (const d of this.deleted) w.u8(d ? 1 : 0);
    for (const v of this.vectors) w.f32s(v);
    return w.finish();
  }

  static fromBytes(dimension: number, metric: Metric, capacity: number, bytes: Uint8Array, what: string): FakeLabelLibrary {
    const r = openContainer(bytes, { magic: 'FAKE', version: 1, what });
    const count = r.u32('count');
    if (count > capacity) throw corrupt(what, `${count} slots exceed the capacity ${capacity}`);
    const lib = new FakeLabelLibrary(dimension, metric, capacity);
    for (let i = 0; i < count; i++) lib.deleted.push(r.u8('deleted flag') === 1);
    for (let i = 0; i < count; i++) lib.vectors.push(r.f32s(dimension, `vector ${i}`));
    r.expectEnd();
    return lib;
  }
}

export const FAKE_FORMAT: ContainerFormat = { magic: 'MLHT', version: 1, what: 'fake hnsw index' };
export const FAKE_LAYOUT: HnswContainerLayout = { format: FAKE_FORMAT, storesCapacity: true };

/** An HNSW adapter built on the kit over FakeLabelLibrary: what an adapter author writes. */
export class FakeHnswIndex extends LabelledHnswIndex {
  readonly kind = 'fake-hnsw';
  library: FakeLabelLibrary;
  disposed = false;

  constructor(options: VectorIndexOptions & HnswParameterOptions) {
    const { dimension, metric, capacity } = resolveIndexOptions(options);
    super(dimension, metric, options);
    this.library = new FakeLabelLibrary(dimension, metric, capacity);
    this.library.setEf(this.parameters().ef);
  }

  get capacity(): number {
    return this.library.capacity;
  }

  async save(): Promise<Uint8Array> {
    const header = { metric: this.metric, dimension: this.dimension };
    const snapshot = { ...header, ...this.parameters(), capacity: this.capacity, ...this.labels.entries() };
    return encodeHnswContainer(FAKE_LAYOUT, { ...snapshot, graph: this.library.toBytes() });
  }

  async load(bytes: Uint8Array): Promise<void> {
    const what = FAKE_FORMAT.what;
    const snapshot = decodeHnswContainer(FAKE_LAYOUT, bytes);
    assertSnapshotFits(what, snapshot, this);
    const library = FakeLabelLibrary.fromBytes(this.dimension, this.metric, snapshot.capacity as number, snapshot.graph, what);
    const labels = LabelMap.restore(snapshot, library.vectors.keys(), what);
    for (let label = 0; label < library.count; label++) {
      if (library.deleted[label] === (labels.idOf(label) !== undefined)) throw corrupt(what, `label ${label} live flag disagrees`);
    }
    this.library = library;
    this.adoptLoaded(labels, snapshot);
  }

  dispose(): void {
    this.disposed = true;
    this.labels.clear();
  }

  protected override assertUsable(): void {
    if (this.disposed) throw new MicroLoraError('INVALID_ARGUMENT', 'disposed');
  }

  protected setLibraryEf(ef: number): void {
    this.library.setEf(ef);
  }

  protected reserve(extra: number): void {
    const needed = this.library.count + Math.max(0, extra - this.labels.reusable);
    if (needed > this.library.capacity) this.library.resize(Math.max(needed, this.library.capacity * 2));
  }

  protected placePoint(label: number, vector: Float32Array, reused: boolean): void {
    this.library.add(label, vector, reused);
  }

  protected deletePoint(label: number): void {
    this.library.markDelete(label);
  }

  protected searchLabels(query: Float32Array, count: number, accepts: ((label: number) => boolean) | undefined): LabelledNeighbors {
    return this.library.search(query, count, accepts);
  }
}
