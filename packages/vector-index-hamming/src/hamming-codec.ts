import { ByteWriter, corrupt, openContainer } from '@microlora/core';
import type { ContainerFormat } from '@microlora/core';
import { MAX_DIMENSION, assertSnapshotFits, metricCode, metricFromCode } from '@microlora/vector-index';
import type { Metric } from '@microlora/vector-index';
import { IndexState } from './index-state.js';
import { MAX_LISTS, resolveSavedSettings, resolveStructure } from './options.js';
import { auxiliary, encodeStoredCode, readValues } from './vector-encoding.js';

/**
 * Hamming index file, version 1, little-endian:
 *   "MLVH" u16 version | u8 metric | u8 trained | u8×2 zero | u32 dimension | u32 bits |
 *   u32 prefixBits | u32 lists | u32 seed | f64 prefilter | u32 shortlist | u32 rerank |
 *   u32 probes (0 = default) | u32 used | u32 live |
 *   u32 tailStart | u32 trainedAt |
 *   if trained: (lists+1) × u32 listStart, lists × (bits/8) centroid code bytes |
 *   used × u8 live flag | live × (u32 byteLength, UTF-8 id) in slot order | zero pad to 4 |
 *   used × f32 scale | used·dimension int8 high bytes | used·dimension int8 low bytes | u32 CRC-32
 * Sign codes and auxiliary numbers are recomputed from the 16-bit values on load (the
 * same arithmetic as when adding), so a loaded index answers exactly like the saved one.
 */
export const HAMMING_FORMAT: ContainerFormat = { magic: 'MLVH', version: 1, what: 'Hamming index' };

const WHAT = HAMMING_FORMAT.what;
/** Slot counts above this are rejected before anything is allocated. */
const MAX_SLOTS = 1 << 30;

export function encodeHammingIndex(s: IndexState): Uint8Array {
  const { structure, arena: a } = s;
  const { dimension } = structure;
  const { rowBytes } = a.shape;
  const w = new ByteWriter(HAMMING_FORMAT, 128 + s.used * (2 * dimension + 16));
  w.u8(metricCode(structure.metric));
  w.u8(s.trained ? 1 : 0);
  w.u8(0);
  w.u8(0);
  w.u32(dimension);
  w.u32(structure.bits);
  w.u32(structure.prefixBits);
  w.u32(structure.lists);
  w.u32(structure.seed);
  w.f64(s.settings.prefilter);
  w.u32(s.settings.shortlist);
  w.u32(s.settings.rerank);
  w.u32(s.settings.probes ?? 0);
  w.u32(s.used);
  w.u32(s.live);
  w.u32(s.tailStart);
  w.u32(s.trainedAt);
  if (s.trained) {
    for (let l = 0; l <= structure.lists; l++) w.u32(s.listStart[l] as number);
    const bytes = structure.lists * (structure.bits / 8);
    w.bytes(a.u8.subarray(a.centroids, a.centroids + bytes));
  }
  const flags = new Uint8Array(s.used);
  for (let slot = 0; slot < s.used; slot++) flags[slot] = s.slotIds[slot] === undefined ? 0 : 1;
  w.bytes(flags);
  for (let slot = 0; slot < s.used; slot++) {
    const id = s.slotIds[slot];
    if (id !== undefined) w.string(id);
  }
  w.align(4);
  w.f32s(a.f32.subarray(a.scales >> 2, (a.scales >> 2) + s.used));
  for (const half of [0, rowBytes]) {
    for (let slot = 0; slot < s.used; slot++) {
      const row = a.values + slot * 2 * rowBytes + half;
      w.bytes(a.u8.subarray(row, row + dimension));
    }
  }
  return w.finish();
}

/**
 * Decodes a Hamming index file into a fresh state (nothing of the caller's index is touched).
 * Every defect is CORRUPT_DATA (UNSUPPORTED_VERSION for another version); a file of another
 * dimension or metric than `target` is DIMENSION_MISMATCH / INVALID_ARGUMENT.
 */
export function decodeHammingIndex(bytes: Uint8Array, target: { dimension: number; metric: Metric }, minCapacity: number): IndexState {
  const r = openContainer(bytes, HAMMING_FORMAT);
  const code = r.u8('metric');
  const metric = metricFromCode(code);
  if (metric === undefined) throw corrupt(WHAT, `unknown metric code ${code}`);
  const trainedFlag = r.u8('trained flag');
  if (trainedFlag > 1) throw corrupt(WHAT, `trained flag is ${trainedFlag}`);
  if (r.u8('reserved') !== 0 || r.u8('reserved') !== 0) throw corrupt(WHAT, 'reserved header bytes are not zero');
  const dimension = r.u32('dimension');
  if (dimension < 1 || dimension > MAX_DIMENSION) throw corrupt(WHAT, `dimension ${dimension} is out of range`);
  const bits = r.u32('bits');
  const prefixBits = r.u32('prefixBits');
  const lists = r.u32('lists');
  const seed = r.u32('seed');
  if (lists > MAX_LISTS) throw corrupt(WHAT, `${lists} lists is more than ${MAX_LISTS}`);
  let structure;
  try {
    structure = resolveStructure(dimension, metric, bits, prefixBits, lists, seed);
  } catch (cause) {
    throw corrupt(WHAT, cause instanceof Error ? cause.message : String(cause), cause);
  }
  assertSnapshotFits(WHAT, { dimension, metric }, target);
  const prefilter = r.f64('prefilter');
  const shortlist = r.u32('shortlist');
  const rerank = r.u32('rerank');
  const probes = r.u32('probes');
  let settings;
  try {
    settings = resolveSavedSettings(prefilter, shortlist, rerank, probes, lists);
  } catch (cause) {
    throw corrupt(WHAT, cause instanceof Error ? cause.message : String(cause), cause);
  }
  const used = r.u32('used');
  const live = r.u32('live');
  const tailStart = r.u32('tailStart');
  const trainedAt = r.u32('trainedAt');
  const trained = trainedFlag === 1;
  if (used > MAX_SLOTS || live > used || tailStart > used) throw corrupt(WHAT, `slot counts used ${used}, live ${live}, tailStart ${tailStart} are inconsistent`);
  if (trained ? lists === 0 : tailStart !== 0) throw corrupt(WHAT, `trained flag ${trainedFlag} does not fit ${lists} lists and tailStart ${tailStart}`);
  const codeBytes = bits / 8;
  // Flags, scales and both planes, plus a 4-byte length per id: check before allocating.
  r.need(used * (1 + 4 + 2 * dimension) + live * 4 + (trained ? (lists + 1) * 4 + lists * codeBytes : 0), `${used} slots`);

  const s = new IndexState(structure, Math.max(used, minCapacity, 1));
  const a = s.arena;
  s.used = used;
  s.live = live;
  s.tailStart = tailStart;
  s.trained = trained;
  s.trainedAt = trainedAt;
  s.settings = settings;
  if (trained) {
    for (let l = 0; l <= lists; l++) {
      const start = r.u32(`listStart[${l}]`);
      const previous = l === 0 ? 0 : (s.listStart[l - 1] as number);
      if (start < previous || (l === 0 && start !== 0) || start > tailStart) throw corrupt(WHAT, `listStart[${l}] = ${start} is out of order`);
      s.listStart[l] = start;
    }
    if (s.listStart[lists] !== tailStart) throw corrupt(WHAT, `the lists end at ${s.listStart[lists]}, not at tailStart ${tailStart}`);
    a.u8.set(r.bytes(lists * codeBytes, 'centroid codes'), a.centroids);
  }
  const flags = r.bytes(used, 'live flags');
  let count = 0;
  for (let slot = 0; slot < used; slot++) {
    const flag = flags[slot] as number;
    if (flag > 1) throw corrupt(WHAT, `live flag of slot ${slot} is ${flag}`);
    if (flag === 0 && slot >= tailStart) throw corrupt(WHAT, `slot ${slot} after the lists is empty`);
    count += flag;
  }
  if (count !== live) throw corrupt(WHAT, `${count} live flags, but the header says ${live}`);
  for (let slot = 0; slot < used; slot++) {
    if (flags[slot] === 0) {
      a.u8[a.dead + slot] = 1;
      (s.holes[s.listOf(slot)] as number[]).push(slot);
      continue;
    }
    const id = r.string(`id of slot ${slot}`);
    if (s.idToSlot.has(id)) throw corrupt(WHAT, `id ${JSON.stringify(id)} appears twice`);
    s.idToSlot.set(id, slot);
    s.slotIds[slot] = id;
  }
  r.align(4, 'scale alignment');
  const scales = r.f32s(used, 'scales');
  for (let slot = 0; slot < used; slot++) {
    const scale = scales[slot] as number;
    if (!(scale >= 0 && scale < Number.POSITIVE_INFINITY)) throw corrupt(WHAT, `scale of slot ${slot} is ${scale}`);
  }
  a.f32.set(scales, a.scales >> 2);
  const { rowBytes, prefixWords, suffixWords } = a.shape;
  for (const half of [0, rowBytes]) {
    const raw = r.bytes(used * dimension, half === 0 ? 'high bytes' : 'low bytes');
    if (half === 0) {
      for (let i = 0; i < raw.length; i++) if (raw[i] === 0x80) throw corrupt(WHAT, `high byte ${i} is −128`);
    }
    for (let slot = 0; slot < used; slot++) a.u8.set(raw.subarray(slot * dimension, (slot + 1) * dimension), a.values + slot * 2 * rowBytes + half);
  }
  r.expectEnd();

  const values = new Int16Array(dimension);
  for (let slot = 0; slot < used; slot++) {
    if (s.slotIds[slot] === undefined) continue;
    readValues(a, slot, dimension, values);
    const scale = a.f32[(a.scales >> 2) + slot] as number;
    a.f32[(a.aux >> 2) + slot] = auxiliary(values, dimension, scale, metric);
    encodeStoredCode(a, values, dimension, a.prefix + slot * prefixWords * 8, a.suffix + slot * suffixWords * 8);
  }
  return s;
}
