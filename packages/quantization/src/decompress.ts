import { MicroLoraError } from '@microlora/core';
import type { CompressedLora, LoraWeights, QuantizedTensor } from '@microlora/core';
import { getBackend } from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';
import { inputGroupViews, outputGroupViews, rememberPair, rememberedPair } from './group-views.js';
import { assertValidCompressedLora } from './validate-compressed.js';

export interface DecompressOptions {
  /** SIMD backend for dequantizeI8 (see DecompressIntoOptions.backend); default getBackend(). */
  backend?: SimdOps;
}

export interface DecompressIntoOptions {
  /** Multiplies every value of A (default 1); the composer folds weight × scaling in here. */
  aFactor?: number;
  /** Multiplies every value of Bᵀ (default 1). */
  bFactor?: number;
  /**
   * Where A starts in target.a (default 0). With an offset, target.a may be the
   * whole stacked buffer (length ≥ aOffset + rank·in), which saves the caller a
   * subarray view per adapter.
   */
  aOffset?: number;
  /** Where Bᵀ starts in target.b (default 0); see aOffset. */
  bOffset?: number;
  /**
   * SIMD backend (e.g. wasm) for SimdOps.dequantizeI8, one call per group of
   * ≥ 128 values, through views cached per adapter and per target buffer.
   * Without one, for the pure-JS backend, for smaller groups and for factors ≤ 0
   * the built-in unrolled kernel runs. No getBackend() lookup happens here
   * (the registry lookup allocates): pass the backend you resolved once.
   */
  backend?: SimdOps;
}

function assertFactor(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MicroLoraError('NON_FINITE', `${name} must be a finite number, got ${String(value)}`, {
      details: { name, value },
    });
  }
}

function assertTarget(name: string, target: unknown, offset: number, expected: number, exact: boolean): asserts target is Float32Array {
  if (!(target instanceof Float32Array)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be a Float32Array (a subarray view is fine)`, {
      details: { name },
    });
  }
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw new MicroLoraError('INVALID_ARGUMENT', `the offset into ${name} must be a non-negative integer, got ${String(offset)}`, {
      details: { name, offset },
    });
  }
  if (exact ? target.length !== expected : target.length < offset + expected) {
    const want = exact ? `${expected}` : `at least ${offset} + ${expected}`;
    throw new MicroLoraError('DIMENSION_MISMATCH', `${name} has length ${target.length}, expected ${want}`, {
      details: { name, actual: target.length, expected, offset },
    });
  }
}

// O(1) shape checks: a malformed tensor would otherwise decode silently to NaN.
function assertTensorShape(name: string, t: QuantizedTensor, expected: number): void {
  const ok =
    typeof t === 'object' &&
    t !== null &&
    t.data instanceof Int8Array &&
    t.scales instanceof Float32Array &&
    (t.zeroPoints === null || (t.zeroPoints instanceof Int16Array && t.zeroPoints.length === t.scales.length)) &&
    t.data.length === expected &&
    t.groupSize > 0 &&
    t.scales.length * t.groupSize === expected;
  if (!ok) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `${name} is not a well-formed QuantizedTensor of ${expected} values; build CompressedLora with compress() or a decoder`,
      { details: { name, expected } },
    );
  }
}

/**
 * out[offset + i] = (data[i] − zp[g])·fround(scales[g]·factor) with g = floor(i / groupSize),
 * rounded once to float32 — the same bits as SimdOps.dequantizeI8 given that step
 * (the float32 product of two float32 values). No allocation, no checks.
 */
export function dequantizeGroups(t: QuantizedTensor, factor: number, out: Float32Array, offset = 0): void {
  const { data, scales, zeroPoints, groupSize } = t;
  const groups = scales.length;
  let i = 0;
  // Unrolled by 8: V8 does not vectorise, and this measured ~1.4× faster than the plain loop.
  if (zeroPoints === null) {
    for (let g = 0; g < groups; g++) {
      const s = Math.fround((scales[g] as number) * factor);
      const end = i + groupSize;
      for (; i + 8 <= end; i += 8) {
        const o = offset + i;
        out[o] = (data[i] as number) * s;
        out[o + 1] = (data[i + 1] as number) * s;
        out[o + 2] = (data[i + 2] as number) * s;
        out[o + 3] = (data[i + 3] as number) * s;
        out[o + 4] = (data[i + 4] as number) * s;
        out[o + 5] = (data[i + 5] as number) * s;
        out[o + 6] = (data[i + 6] as number) * s;
        out[o + 7] = (data[i + 7] as number) * s;
      }
      for (; i < end; i++) out[offset + i] = (data[i] as number) * s;
    }
  } else {
    for (let g = 0; g < groups; g++) {
      const s = Math.fround((scales[g] as number) * factor);
      const z = zeroPoints[g] as number;
      const end = i + groupSize;
      for (; i + 8 <= end; i += 8) {
        const o = offset + i;
        out[o] = ((data[i] as number) - z) * s;
        out[o + 1] = ((data[i + 1] as number) - z) * s;
        out[o + 2] = ((data[i + 2] as number) - z) * s;
        out[o + 3] = ((data[i + 3] as number) - z) * s;
        out[o + 4] = ((data[i + 4] as number) - z) * s;
        out[o + 5] = ((data[i + 5] as number) - z) * s;
        out[o + 6] = ((data[i + 6] as number) - z) * s;
        out[o + 7] = ((data[i + 7] as number) - z) * s;
      }
      for (; i < end; i++) out[offset + i] = ((data[i] as number) - z) * s;
    }
  }
}

/** Below this many values per scale, per-group backend calls cost more than the kernel saves. */
const MIN_BACKEND_GROUP = 128;

/**
 * Whether `backend` should dequantise groups of `groupSize`. The pure-JS backend does
 * the same arithmetic as the built-in kernel, which is unrolled and measured faster.
 */
function backendWorthIt(backend: SimdOps | undefined, groupSize: number, groups: number): backend is SimdOps {
  return backend !== undefined && backend.name !== 'js' && (groups === 1 || groupSize >= MIN_BACKEND_GROUP);
}

/**
 * Checks one factor before anything is written: its target (a Float32Array, long enough at
 * `offset`, exactly `expected` long without one), its tensor's shape, and every step (see
 * checkSteps, whose result it returns). O(number of scales).
 */
function checkFactor(
  targetName: string,
  tensorName: string,
  factorName: string,
  out: unknown,
  offset: number | undefined,
  t: QuantizedTensor,
  expected: number,
  factor: number,
): boolean {
  assertTarget(targetName, out, offset ?? 0, expected, offset === undefined);
  assertTensorShape(tensorName, t, expected);
  return checkSteps(factorName, t.scales, factor);
}

/**
 * Checks that every float32 step fround(scale·factor) is finite (NON_FINITE otherwise)
 * and returns whether all are > 0, which SimdOps.dequantizeI8 requires.
 */
function checkSteps(factorName: string, scales: Float32Array, factor: number): boolean {
  let positive = true;
  for (let g = 0; g < scales.length; g++) {
    const s = Math.fround((scales[g] as number) * factor);
    if (s - s !== 0) {
      throw new MicroLoraError('NON_FINITE', `${factorName} × scale ${scales[g]} = ${s} overflows float32; use a smaller factor`, {
        details: { name: factorName, factor, scale: scales[g] },
      });
    }
    if (!(s > 0)) positive = false;
  }
  return positive;
}

function dequantizeFactor(
  t: QuantizedTensor,
  factor: number,
  out: Float32Array,
  offset: number,
  backend: SimdOps | undefined,
): void {
  const { data, scales, zeroPoints, groupSize } = t;
  const groups = scales.length;
  if (backendWorthIt(backend, groupSize, groups)) {
    if (groups === 1 && offset === 0 && out.length === data.length) {
      backend.dequantizeI8(data, Math.fround((scales[0] as number) * factor), out, zeroPoints === null ? 0 : (zeroPoints[0] as number));
      return;
    }
    let inputs: Int8Array[];
    let outputs: Float32Array[];
    const pair = rememberedPair(out);
    if (pair !== undefined && pair.data === data && pair.offset === offset && pair.groupSize === groupSize) {
      inputs = pair.inputs;
      outputs = pair.outputs;
    } else {
      inputs = inputGroupViews(data, groupSize);
      outputs = outputGroupViews(out, offset, groupSize, groups);
      if (pair === undefined) rememberPair(out, { data, offset, groupSize, inputs, outputs });
    }
    for (let g = 0; g < groups; g++) {
      const q = inputs[g] as Int8Array;
      const s = Math.fround((scales[g] as number) * factor);
      backend.dequantizeI8(q, s, outputs[g] as Float32Array, zeroPoints === null ? 0 : (zeroPoints[g] as number));
    }
    return;
  }
  dequantizeGroups(t, factor, out, offset);
}

/**
 * One factor of decompressInto, out[offset + i] = (q − z)·fround(scale·factor), without its
 * shape checks: for callers that validate the tensor and the output range once themselves
 * (the composer validates every item once per compose, then calls this per factor). It still
 * checks every step fround(scale·factor) — NON_FINITE, before writing, if one is not finite —
 * and dispatches like decompressInto: `backend.dequantizeI8` per group of ≥ 128 values when
 * every step is > 0, the built-in kernel otherwise. The caller guarantees that `t` is a
 * well-formed QuantizedTensor and that `out` holds offset + t.data.length values; otherwise,
 * as with dequantizeGroups, values may be silently lost. When in doubt, use decompressInto.
 */
export function dequantizeTensorInto(t: QuantizedTensor, factor: number, out: Float32Array, offset = 0, backend?: SimdOps): void {
  const positive = checkSteps('factor', t.scales, factor);
  dequantizeFactor(t, factor, out, offset, positive ? backend : undefined);
}

/**
 * Writes A·aFactor into target.a (rank × in) and Bᵀ·bFactor into target.b
 * (rank × out). Targets may be subarray views of a larger stacked buffer, or
 * the stacked buffers themselves with aOffset/bOffset. Checks cost O(number of scales). The kernel
 * path allocates nothing; the backend path allocates only on the first call for
 * a given adapter and target buffer (cached group views).
 */
export function decompressInto(
  c: CompressedLora,
  target: { a: Float32Array; b: Float32Array },
  options?: DecompressIntoOptions,
): void {
  if (typeof c !== 'object' || c === null || typeof target !== 'object' || target === null) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      'decompressInto needs a CompressedLora (from compress() or a decoder) and a target { a, b } of Float32Arrays',
    );
  }
  const aFactor = options?.aFactor ?? 1;
  const bFactor = options?.bFactor ?? 1;
  assertFactor('aFactor', aFactor);
  assertFactor('bFactor', bFactor);
  const aOffset = options?.aOffset;
  const bOffset = options?.bOffset;
  const { rank, a, b } = c;
  const outA = target.a;
  const outB = target.b;
  // Both factors are checked before either is written.
  const aPositive = checkFactor('target.a', 'c.a', 'aFactor', outA, aOffset, a, rank * c.inFeatures, aFactor);
  const bPositive = checkFactor('target.b', 'c.b', 'bFactor', outB, bOffset, b, rank * c.outFeatures, bFactor);
  const backend = options?.backend;
  dequantizeFactor(a, aFactor, outA, aOffset ?? 0, aPositive ? backend : undefined);
  dequantizeFactor(b, bFactor, outB, bOffset ?? 0, bPositive ? backend : undefined);
}

/** Decodes to fresh f32 LoraWeights (same rank, dims, alpha and layer mask). */
export function decompress(c: CompressedLora, options: DecompressOptions = {}): LoraWeights {
  assertValidCompressedLora(c);
  const a = new Float32Array(c.rank * c.inFeatures);
  const b = new Float32Array(c.rank * c.outFeatures);
  decompressInto(c, { a, b }, { backend: options.backend ?? getBackend() });
  const { rank, inFeatures, outFeatures, alpha, layerMask } = c;
  return { rank, inFeatures, outFeatures, alpha, scaling: alpha / rank, a, b, layerMask };
}
