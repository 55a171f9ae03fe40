import { ByteWriter, MicroLoraError, corrupt, openContainer } from '@microlora/core';
import type { ContainerFormat } from '@microlora/core';
import type { HnswParameters } from './hnsw-parameters.js';
import { readIndexHeader, writeIndexHeader } from './index-header.js';
import type { IndexHeader } from './index-header.js';
import { readLabelledIds, writeLabelledIds } from './labelled-ids.js';
import type { LabelledIds } from './labelled-ids.js';

/**
 * How one HNSW adapter's container is laid out. Version 1, little-endian:
 *   magic u16 version | u8 metric | u8×3 zero | u32 dimension | u32 m | u32 efConstruction |
 *   u32 ef | u32 seed | [u32 capacity, if storesCapacity] | u32 count |
 *   count × (u32 label, u32 byteLength, UTF-8 id) | u32 byteLength, the library's own index file | u32 CRC-32
 */
export interface HnswContainerLayout {
  format: ContainerFormat;
  /** Whether the graph capacity is stored: a library whose readIndex must be told it up front needs it (hnswlib-wasm). */
  storesCapacity: boolean;
}

/** An HNSW adapter's saved index. */
export interface HnswSnapshot extends IndexHeader, HnswParameters, LabelledIds {
  /** Graph capacity (element limit): needed to encode, and present after decoding, only when the layout stores it. */
  capacity?: number;
  /** The library's own index file (what hnswlib's writeIndex produced). */
  graph: Uint8Array;
}

/** The container for `snapshot`; INVALID_ARGUMENT when the layout stores a capacity and the snapshot has none. */
export function encodeHnswContainer(layout: HnswContainerLayout, snapshot: HnswSnapshot): Uint8Array {
  const s = snapshot;
  const w = new ByteWriter(layout.format, 64 + s.ids.length * 24 + s.graph.length);
  writeIndexHeader(w, s);
  for (const value of [s.m, s.efConstruction, s.ef, s.seed]) w.u32(value);
  if (layout.storesCapacity) {
    if (s.capacity === undefined) {
      throw new MicroLoraError('INVALID_ARGUMENT', `a ${layout.format.what} container stores the graph capacity; pass snapshot.capacity`);
    }
    w.u32(s.capacity);
  }
  writeLabelledIds(w, s);
  w.u32(s.graph.length);
  w.bytes(s.graph);
  return w.finish();
}

/**
 * Parses and checks a container: sizes before allocation, parameters and capacity in range,
 * unique ids and labels, no more ids than the capacity. CORRUPT_DATA on any defect,
 * UNSUPPORTED_VERSION for another version. The graph is a view into `bytes`.
 */
export function decodeHnswContainer(layout: HnswContainerLayout, bytes: Uint8Array): HnswSnapshot {
  const what = layout.format.what;
  const r = openContainer(bytes, layout.format);
  const { metric, dimension } = readIndexHeader(r, what);
  const m = r.u32('m');
  const efConstruction = r.u32('efConstruction');
  const ef = r.u32('ef');
  const seed = r.u32('seed');
  if (m < 2 || efConstruction < 1 || ef < 1) {
    throw corrupt(what, `parameters m ${m}, efConstruction ${efConstruction}, ef ${ef} are out of range`);
  }
  const capacity = layout.storesCapacity ? r.u32('capacity') : undefined;
  if (capacity !== undefined && capacity < 1) throw corrupt(what, `capacity ${capacity} is out of range`);
  const { ids, labels } = readLabelledIds(r, what);
  if (capacity !== undefined && ids.length > capacity) throw corrupt(what, `${ids.length} ids exceed the capacity ${capacity}`);
  const graph = r.bytes(r.u32('graph length'), 'graph');
  r.expectEnd();
  const snapshot: HnswSnapshot = { metric, dimension, m, efConstruction, ef, seed, ids, labels, graph };
  if (capacity !== undefined) snapshot.capacity = capacity;
  return snapshot;
}
