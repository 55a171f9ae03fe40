import type { LoraWeights } from '@microlora/core';

/**
 * The numeric operations every SIMD backend implements. All take typed arrays
 * and write into caller-provided buffers: nothing on a hot path allocates.
 * Arrays may be subarray views (any byteOffset); accumulation should be at
 * least as accurate as float32 with a few partial sums.
 *
 * Validation contract (checked by `@microlora/simd/conformance`):
 * - every op throws MicroLoraError('DIMENSION_MISMATCH') when lengths disagree,
 *   with O(1) checks made before anything is written;
 * - `softmax` and `quantizeI8` reject non-finite input (NaN, ±Infinity, including
 *   −Infinity in softmax: mask with −3.4e38 instead) with 'NON_FINITE';
 * - `quantizeI8`/`dequantizeI8` reject a non-finite scale ('NON_FINITE'), a scale ≤ 0
 *   ('OUT_OF_RANGE'), and a zeroPoint that is not an integer ('INVALID_ARGUMENT')
 *   in [−32768, 32767] ('OUT_OF_RANGE'; the range of QuantizedTensor.zeroPoints);
 * - `gemv` rejects rows/cols that are not non-negative integers ('INVALID_ARGUMENT' /
 *   'OUT_OF_RANGE'); `loraApplyBatch` rejects an adapter index ≥ adapters.length
 *   ('OUT_OF_RANGE') before touching y;
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

  /** max |x[i]| (0 for an empty array; NaN if any entry is NaN, so a NaN is never skipped). */
  maxAbs(x: Float32Array): number;

  /**
   * y = alpha·M·x + beta·y for M rows × cols row-major.
   * m.length = rows·cols, x.length = cols, y.length = rows.
   * alpha defaults to 1 and beta to 0; with beta = 0, y is write-only (BLAS
   * convention: NaN or garbage already in y does not leak into the result).
   */
  gemv(m: Float32Array, rows: number, cols: number, x: Float32Array, y: Float32Array, alpha?: number, beta?: number): void;

  /**
   * y += s·B(A x) with s = lora.scaling·scale (scale defaults to 1).
   * x.length = lora.inFeatures, y.length = lora.outFeatures; lora.a.length must be
   * rank·in and lora.b.length rank·out (DIMENSION_MISMATCH otherwise). Adds into y.
   */
  loraApply(lora: LoraWeights, x: Float32Array, y: Float32Array, scale?: number): void;

  /**
   * A batch of rows, each with its own adapter: for every row r,
   * y[r] += s_k·B_k(A_k x[r]) with k = adapterIndex[r] (a negative index means
   * "no adapter": that row of y is left untouched) and s_k = adapters[k].scaling.
   * x is rows × in, y is rows × out, both row-major; adapterIndex.length = rows;
   * every adapter has the same in/out (DIMENSION_MISMATCH otherwise); an index
   * ≥ adapters.length is OUT_OF_RANGE. All checks happen before y is written.
   */
  loraApplyBatch(
    adapters: readonly LoraWeights[],
    adapterIndex: Int32Array,
    x: Float32Array,
    y: Float32Array,
    rows: number,
  ): void;

  /**
   * out[i] = clamp(round(x[i]/scale) + zeroPoint, −128, 127). Rounds half away
   * from zero (exact ties such as 2.5 → 3, −2.5 → −3); x[i]/scale may be computed in
   * float32, so a value within float32 error of a tie may round either way.
   * zeroPoint defaults to 0. After a throw the content of out is unspecified.
   */
  quantizeI8(x: Float32Array, scale: number, out: Int8Array, zeroPoint?: number): void;

  /** out[i] = (q[i] − zeroPoint)·scale, rounded once to float32. zeroPoint defaults to 0. */
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
