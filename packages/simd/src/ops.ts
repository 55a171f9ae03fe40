import type { LoraWeights } from '@microlora/core';

/**
 * The numeric operations every SIMD backend implements. All take typed arrays
 * and write into caller-provided buffers: nothing on a hot path allocates.
 *
 * Validation contract (checked by the conformance suite):
 * - every op throws MicroLoraError('DIMENSION_MISMATCH') when lengths disagree;
 * - `softmax`, `quantizeI8` and `maxAbs`-based callers reject non-finite input with 'NON_FINITE';
 *   `quantizeI8`/`dequantizeI8` reject a non-finite or non-positive scale;
 * - the other ops follow IEEE semantics (a NaN in gives NaN out) and do not scan for it.
 * - length 0 is valid everywhere (dot → 0, softmax of nothing → nothing).
 */
export interface SimdOps {
  /** Backend name as registered ("js", "wasm", "tfjs"). */
  readonly name: string;

  /** Σ a[i]·b[i]. */
  dot(a: Float32Array, b: Float32Array): number;

  /** y += alpha·x, in place. */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;

  /** out = alpha·x (out may be x). */
  scale(x: Float32Array, alpha: number, out: Float32Array): void;

  /** out = a + t·(b − a) (out may alias a or b). */
  lerp(a: Float32Array, b: Float32Array, t: number, out: Float32Array): void;

  /** Numerically stable softmax: out[i] = exp(x[i] − max) / Σ exp(x[j] − max) (out may be x). */
  softmax(x: Float32Array, out: Float32Array): void;

  /** max |x[i]| (0 for an empty array). */
  maxAbs(x: Float32Array): number;

  /**
   * y = alpha·M·x + beta·y for M rows × cols row-major.
   * m.length = rows·cols, x.length = cols, y.length = rows.
   */
  gemv(m: Float32Array, rows: number, cols: number, x: Float32Array, y: Float32Array, alpha?: number, beta?: number): void;

  /**
   * y += s·B(A x) with s = lora.scaling·scale (scale defaults to 1).
   * x.length = lora.inFeatures, y.length = lora.outFeatures.
   */
  loraApply(lora: LoraWeights, x: Float32Array, y: Float32Array, scale?: number): void;

  /**
   * A batch of rows, each with its own adapter: for every row r,
   * y[r] += s_k·B_k(A_k x[r]) with k = adapterIndex[r] (a negative index means "no adapter").
   * x is rows × in, y is rows × out, both row-major; every adapter has the same in/out.
   */
  loraApplyBatch(
    adapters: readonly LoraWeights[],
    adapterIndex: Int32Array,
    x: Float32Array,
    y: Float32Array,
    rows: number,
  ): void;

  /** out[i] = clamp(round(x[i]/scale) + zeroPoint, −128, 127). Rounds half away from zero. */
  quantizeI8(x: Float32Array, scale: number, out: Int8Array, zeroPoint?: number): void;

  /** out[i] = (q[i] − zeroPoint)·scale. */
  dequantizeI8(q: Int8Array, scale: number, out: Float32Array, zeroPoint?: number): void;
}

/** Names of every op, declared once; a backend missing one fails registration checks. */
export const SIMD_OP_NAMES = [
  'dot',
  'axpy',
  'scale',
  'lerp',
  'softmax',
  'maxAbs',
  'gemv',
  'loraApply',
  'loraApplyBatch',
  'quantizeI8',
  'dequantizeI8',
] as const satisfies readonly (keyof SimdOps)[];

export type SimdOpName = (typeof SIMD_OP_NAMES)[number];
