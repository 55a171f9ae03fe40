import { ByteWriter, corrupt, openContainer } from '@microlora/core';
import type { ContainerFormat } from '@microlora/core';
import type { Metric } from './contract.js';
import { readIndexHeader, writeIndexHeader } from './adapter-kit/index-header.js';

/**
 * Flat index file, version 1, little-endian:
 *   "MLVF" u16 version | u8 metric | u8×3 zero | u32 dimension | u32 count |
 *   count × (u32 byteLength, UTF-8 id) | zero pad to 4 | count·dimension f32 | u32 CRC-32
 */
export const FLAT_FORMAT: ContainerFormat = { magic: 'MLVF', version: 1, what: 'flat index' };

export interface FlatSnapshot {
  dimension: number;
  metric: Metric;
  /** ids[i] owns vectors[i·dimension … (i+1)·dimension). */
  ids: string[];
  /** At least ids.length·dimension values (may carry spare capacity). */
  vectors: Float32Array;
}

export function encodeFlat(snapshot: FlatSnapshot): Uint8Array {
  const { dimension, ids } = snapshot;
  const w = new ByteWriter(FLAT_FORMAT, 32 + ids.length * (16 + dimension * 4));
  writeIndexHeader(w, snapshot);
  w.u32(ids.length);
  for (const id of ids) w.string(id);
  w.align(4);
  w.f32s(snapshot.vectors.subarray(0, ids.length * dimension));
  return w.finish();
}

/**
 * Decodes a flat index file. Declared sizes are checked against the byte length before
 * anything is allocated; every defect is CORRUPT_DATA (UNSUPPORTED_VERSION for another version).
 * `minCapacity` sizes the returned vector store (in vectors) so the caller can keep adding.
 */
export function decodeFlat(bytes: Uint8Array, minCapacity = 0): FlatSnapshot {
  const what = FLAT_FORMAT.what;
  const r = openContainer(bytes, FLAT_FORMAT);
  const { metric, dimension } = readIndexHeader(r, what);
  const count = r.u32('count');
  // Each id costs at least its 4-byte length prefix, each vector dimension·4 bytes.
  r.need(count * 4 + count * dimension * 4, `${count} ids and vectors`);
  const ids = new Array<string>(count);
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const id = r.string(`id ${i}`);
    if (seen.has(id)) throw corrupt(what, `id ${JSON.stringify(id)} appears twice`);
    seen.add(id);
    ids[i] = id;
  }
  r.align(4, 'vector alignment');
  const vectors = r.f32s(count * dimension, 'vectors', Math.max(minCapacity, count) * dimension);
  r.expectEnd();
  for (let i = 0; i < count * dimension; i++) {
    const v = vectors[i] as number;
    if (v - v !== 0) throw corrupt(what, `vector ${Math.floor(i / dimension)} holds ${v}`);
  }
  return { dimension, metric, ids, vectors };
}
