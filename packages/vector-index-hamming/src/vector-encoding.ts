import { SeededRng } from '@microlora/core';
import type { Metric } from '@microlora/vector-index';
import type { Arena } from './arena.js';

/** Largest |w| of a stored 16-bit value: 127·256, so w = 256·hi + lo with hi, lo ∈ int8. */
export const VALUE_LIMIT = 32512;
/** Largest |q| of the int16 query of stage 3 (fewer levels for very long rows, see queryLimit). */
const QUERY_LIMIT = 16383;

/** Largest |q| such that Σ hi·q (|hi| ≤ 127) cannot overflow int32 for rows of `rowBytes`. */
function queryLimit(rowBytes: number): number {
  return Math.min(QUERY_LIMIT, Math.floor(0x7fff_ffff / (127 * rowBytes)));
}

/** Rotation length: the next power of two ≥ 64 and ≥ the dimension. */
export function rotationLength(dimension: number): number {
  let n = 64;
  while (n < dimension) n *= 2;
  return n;
}

/** Writes the seeded ±1 sign flips of the rotation into the arena. */
export function writeFlips(arena: Arena, seed: number): void {
  const rng = new SeededRng(seed);
  const base = arena.flips >> 2;
  for (let i = 0; i < arena.shape.rotation; i++) {
    arena.f32[base + i] = (rng.nextU32() & 1) === 0 ? 1 : -1;
  }
}

/** A vector as stored: 16-bit values w (x ≈ scale·w) and the metric's auxiliary number. */
export interface StoredValues {
  w: Int16Array;
  scale: number;
  /** cosine: 1/‖w‖; inner-product: ‖scale·w‖; l2: ‖scale·w‖². */
  aux: number;
}

/**
 * Quantises `vector` (unit-normalised first under cosine, given its norm) to 16-bit values
 * with one scale per vector: relative error ≤ 2⁻¹⁶ of the largest coordinate.
 */
export function quantizeVector(vector: Float32Array, norm: number, metric: Metric, out: StoredValues): void {
  const n = vector.length;
  const w = out.w;
  const unit = metric === 'cosine' ? 1 / norm : 1;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs((vector[i] as number) * unit);
    if (a > max) max = a;
  }
  if (max === 0) {
    w.fill(0);
    out.scale = 0;
    out.aux = 0;
    return;
  }
  const inv = VALUE_LIMIT / max;
  for (let i = 0; i < n; i++) {
    const v = Math.round((vector[i] as number) * unit * inv);
    w[i] = v > VALUE_LIMIT ? VALUE_LIMIT : v < -VALUE_LIMIT ? -VALUE_LIMIT : v;
  }
  out.scale = Math.fround(max / VALUE_LIMIT);
  out.aux = auxiliary(w, n, out.scale, metric);
}

/** The auxiliary number of stored values (exact integer sums, so it is reproducible after load). */
export function auxiliary(w: ArrayLike<number>, n: number, scale: number, metric: Metric): number {
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i] as number;
    sumSq += v * v;
  }
  if (metric === 'cosine') return sumSq === 0 ? 0 : 1 / Math.sqrt(sumSq);
  return metric === 'inner-product' ? scale * Math.sqrt(sumSq) : scale * scale * sumSq;
}

/** Writes stored values into slot `slot` of the arena's value planes (w = 256·hi + lo). */
export function writeValues(arena: Arena, slot: number, values: StoredValues, dimension: number): void {
  const row = arena.shape.rowBytes;
  const hi = arena.values + slot * 2 * row;
  const lo = hi + row;
  const i8 = arena.i8;
  const w = values.w;
  for (let i = 0; i < dimension; i++) {
    const v = w[i] as number;
    const h = (v + 128) >> 8;
    i8[hi + i] = h;
    i8[lo + i] = v - (h << 8);
  }
  i8.fill(0, hi + dimension, hi + row);
  i8.fill(0, lo + dimension, lo + row);
  arena.f32[(arena.scales >> 2) + slot] = values.scale;
  arena.f32[(arena.aux >> 2) + slot] = values.aux;
}

/** Reads the 16-bit values of a slot back (the inverse of writeValues). */
export function readValues(arena: Arena, slot: number, dimension: number, w: Int16Array): void {
  const row = arena.shape.rowBytes;
  const hi = arena.values + slot * 2 * row;
  const lo = hi + row;
  const i8 = arena.i8;
  for (let i = 0; i < dimension; i++) w[i] = ((i8[hi + i] as number) << 8) + (i8[lo + i] as number);
}

/**
 * The sign code of stored values — of their direction, under every metric (inner-product and
 * l2 candidates are then ranked with the stored norm) — computed from the quantised values,
 * so a loaded index recomputes identical codes. Words [0, prefixWords) go to out1, the rest to out2.
 */
export function encodeStoredCode(arena: Arena, w: Int16Array, dimension: number, out1: number, out2: number): void {
  const f32 = arena.f32;
  const base = arena.rot >> 2;
  for (let i = 0; i < dimension; i++) f32[base + i] = w[i] as number;
  f32.fill(0, base + dimension, base + arena.shape.rotation);
  arena.kernels.encodeSigns(arena.rot, arena.flips, arena.shape.rotation, out1, arena.shape.prefixWords, out2);
}

/** Query-side buffers prepared by prepareQuery. */
export interface PreparedQuery {
  /** Scale of the int16 query: q ≈ q16 · q16Scale. */
  q16Scale: number;
  /** ‖q‖ of the query as searched (1 under cosine). */
  norm: number;
}

/**
 * Writes the query's code (arena.qCode, full contiguous code), its int16 copy (arena.q16)
 * and float32 copy (arena.qf) — unit-normalised under cosine.
 */
export function prepareQuery(arena: Arena, query: Float32Array, norm: number, metric: Metric, out: PreparedQuery): void {
  const { rotation, rowBytes, prefixWords } = arena.shape;
  arena.f32.set(query, arena.qf >> 2);
  const limit = queryLimit(rowBytes);
  const unit = metric === 'cosine' ? 1 / norm : 1;
  const max = arena.kernels.prepareQuery(arena.qf, query.length, rowBytes, unit, arena.rot, rotation, arena.q16, limit);
  out.q16Scale = max === 0 ? 0 : max / limit;
  out.norm = metric === 'cosine' ? 1 : norm;
  arena.kernels.encodeSigns(arena.rot, arena.flips, rotation, arena.qCode, prefixWords, arena.qCode + prefixWords * 8);
}
