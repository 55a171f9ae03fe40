import { ByteWriter, corrupt, metricCode, metricFromCode, openContainer, MAX_DIMENSION } from '@microlora/vector-index';
import type { ContainerFormat, Metric } from '@microlora/vector-index';

/**
 * hnswlib-wasm index container, version 1, little-endian:
 *   "MLHW" u16 version | u8 metric | u8×3 zero | u32 dimension | u32 m | u32 efConstruction |
 *   u32 ef | u32 seed | u32 capacity | u32 count | count × (u32 label, u32 byteLength, UTF-8 id) |
 *   u32 byteLength, hnswlib's own index file | u32 CRC-32
 */
export const HNSW_WASM_FORMAT: ContainerFormat = { magic: 'MLHW', version: 1, what: 'hnswlib-wasm index' };

export interface HnswSnapshot {
  metric: Metric;
  dimension: number;
  m: number;
  efConstruction: number;
  ef: number;
  seed: number;
  capacity: number;
  /** Live entries only; labels of removed points are free for reuse. */
  labels: Uint32Array;
  ids: string[];
  /** The bytes hnswlib's writeIndex() produced. */
  graph: Uint8Array;
}

export function encodeHnsw(s: HnswSnapshot): Uint8Array {
  const w = new ByteWriter(HNSW_WASM_FORMAT, 64 + s.ids.length * 24 + s.graph.length);
  w.u8(metricCode(s.metric));
  w.u8(0);
  w.u8(0);
  w.u8(0);
  for (const v of [s.dimension, s.m, s.efConstruction, s.ef, s.seed, s.capacity, s.ids.length]) w.u32(v);
  for (let i = 0; i < s.ids.length; i++) {
    w.u32(s.labels[i] as number);
    w.string(s.ids[i] as string);
  }
  w.u32(s.graph.length);
  w.bytes(s.graph);
  return w.finish();
}

/** Parses and checks the container (sizes before allocation, unique ids and labels); CORRUPT_DATA on any defect. */
export function decodeHnsw(bytes: Uint8Array): HnswSnapshot {
  const what = HNSW_WASM_FORMAT.what;
  const r = openContainer(bytes, HNSW_WASM_FORMAT);
  const code = r.u8('metric');
  const metric = metricFromCode(code);
  if (metric === undefined) throw corrupt(what, `unknown metric code ${code}`);
  if (r.u8('reserved') !== 0 || r.u8('reserved') !== 0 || r.u8('reserved') !== 0) {
    throw corrupt(what, 'reserved header bytes are not zero');
  }
  const dimension = r.u32('dimension');
  if (dimension < 1 || dimension > MAX_DIMENSION) throw corrupt(what, `dimension ${dimension} is out of range`);
  const m = r.u32('m');
  const efConstruction = r.u32('efConstruction');
  const ef = r.u32('ef');
  const seed = r.u32('seed');
  const capacity = r.u32('capacity');
  if (m < 2 || efConstruction < 1 || ef < 1 || capacity < 1) {
    throw corrupt(what, `parameters m ${m}, efConstruction ${efConstruction}, ef ${ef}, capacity ${capacity} are out of range`);
  }
  const count = r.u32('count');
  if (count > capacity) throw corrupt(what, `${count} ids exceed the capacity ${capacity}`);
  r.need(count * 8, `${count} labelled ids`);
  const labels = new Uint32Array(count);
  const ids = new Array<string>(count);
  const seenIds = new Set<string>();
  const seenLabels = new Set<number>();
  for (let i = 0; i < count; i++) {
    const label = r.u32(`label ${i}`);
    const id = r.string(`id ${i}`);
    if (seenIds.has(id)) throw corrupt(what, `id ${JSON.stringify(id)} appears twice`);
    if (seenLabels.has(label)) throw corrupt(what, `label ${label} appears twice`);
    seenIds.add(id);
    seenLabels.add(label);
    labels[i] = label;
    ids[i] = id;
  }
  const graphLength = r.u32('graph length');
  const graph = r.bytes(graphLength, 'graph');
  r.expectEnd();
  return { metric, dimension, m, efConstruction, ef, seed, capacity, labels, ids, graph };
}
