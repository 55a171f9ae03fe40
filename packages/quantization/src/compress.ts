import {
  ALL_LAYERS,
  MicroLoraError,
  assertAllFinite,
  assertFiniteNumber,
  assertFloat32Array,
  assertInteger,
  assertLength,
  assertLoraShape,
} from '@microlora/core';
import type { CompressedLora, LoraWeights, QuantScheme, QuantizedTensor } from '@microlora/core';
import { getBackend } from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';
import { factorGroupSize, hasZeroPoints, largestCommonDivisorAtMost } from './group-layout.js';
import { DEFAULT_GROUP_SIZE, QUANT_SCHEMES, SCALE_MIN, VALUE_LIMIT, ZERO_GROUP_SCALE, isQuantScheme } from './limits.js';

export interface CompressOptions {
  /** Values per scale for the 'grouped' scheme (default 64); must divide inFeatures and outFeatures. */
  groupSize?: number;
  /** SIMD backend for maxAbs/quantizeI8; default getBackend(). */
  backend?: SimdOps;
}

/** Symmetric scale of a group whose largest |value| is maxAbs: maxAbs/127 as a normal float32, 1 for zeros. */
export function symmetricScale(maxAbs: number): number {
  if (maxAbs === 0) return ZERO_GROUP_SCALE;
  return Math.max(Math.fround(maxAbs / 127), SCALE_MIN);
}

/** Scale of an asymmetric group spanning [lo, hi] (lo ≤ 0 ≤ hi): 256 levels over the span. */
export function asymmetricScale(lo: number, hi: number): number {
  const span = hi - lo;
  if (span === 0) return ZERO_GROUP_SCALE;
  return Math.max(Math.fround(span / 255), SCALE_MIN);
}

function assertLoraInput(lora: LoraWeights): void {
  if (typeof lora !== 'object' || lora === null) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'compress needs LoraWeights (see loraFromFactors in @microlora/core)');
  }
  assertLoraShape(lora);
  assertFloat32Array('lora.a', lora.a);
  assertFloat32Array('lora.b', lora.b);
  assertLength('lora.a', lora.a, lora.rank * lora.inFeatures);
  assertLength('lora.b', lora.b, lora.rank * lora.outFeatures);
  assertAllFinite('lora.a', lora.a);
  assertAllFinite('lora.b', lora.b);
  assertFiniteNumber('lora.alpha', lora.alpha);
  const mask: unknown = lora.layerMask;
  if (typeof mask !== 'bigint' || mask < 0n || mask > ALL_LAYERS) {
    throw new MicroLoraError('INVALID_ARGUMENT', `lora.layerMask must be a bigint in [0, 2^64), got ${String(mask)}`, {
      details: { layerMask: mask },
    });
  }
}

function resolveGroupSize(lora: LoraWeights, scheme: QuantScheme, requested: number | undefined): number {
  if (scheme !== 'grouped') {
    if (requested !== undefined) {
      throw new MicroLoraError(
        'INVALID_ARGUMENT',
        `groupSize applies only to the 'grouped' scheme, got groupSize ${String(requested)} with '${scheme}'; drop it or use 'grouped'`,
        { details: { scheme, groupSize: requested } },
      );
    }
    return 0;
  }
  const { inFeatures: n, outFeatures: m } = lora;
  const g = requested ?? DEFAULT_GROUP_SIZE;
  assertInteger('groupSize', g, 1, Math.max(n, m));
  if (n % g !== 0 || m % g !== 0) {
    const suggestion = largestCommonDivisorAtMost(n, m, g);
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `groupSize ${g} must divide inFeatures ${n} and outFeatures ${m} (groups may not straddle rows); ` +
        `pass { groupSize: ${suggestion} } or use the 'per-row' scheme`,
      { details: { groupSize: g, inFeatures: n, outFeatures: m, suggestion } },
    );
  }
  return g;
}

function assertWithinValueLimit(name: string, values: Float32Array, backend: SimdOps): void {
  const max = backend.maxAbs(values);
  if (max > VALUE_LIMIT) {
    throw new MicroLoraError('OUT_OF_RANGE', `${name} has |value| ${max} above 2^100; int8 compression cannot hold it`, {
      details: { name, maxAbs: max, limit: VALUE_LIMIT },
    });
  }
}

function quantizeFactor(
  values: Float32Array,
  rank: number,
  cols: number,
  scheme: QuantScheme,
  groupSize: number,
  backend: SimdOps,
): QuantizedTensor {
  const size = factorGroupSize(scheme, rank, cols, groupSize);
  const count = values.length / size;
  const data = new Int8Array(values.length);
  const scales = new Float32Array(count);
  const zeroPoints = hasZeroPoints(scheme) ? new Int16Array(count) : null;
  for (let k = 0; k < count; k++) {
    const start = k * size;
    const group = values.subarray(start, start + size);
    const out = data.subarray(start, start + size);
    if (zeroPoints === null) {
      scales[k] = symmetricScale(backend.maxAbs(group));
      backend.quantizeI8(group, scales[k] as number, out);
    } else {
      // The range always includes 0, so zero is exact and the zero point fits int8.
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < size; i++) {
        const v = group[i] as number;
        if (v < lo) lo = v;
        else if (v > hi) hi = v;
      }
      const scale = asymmetricScale(lo, hi);
      scales[k] = scale;
      const zeroPoint = Math.min(127, Math.max(-128, Math.round(-128 - lo / scale)));
      zeroPoints[k] = zeroPoint;
      backend.quantizeI8(group, scale, out, zeroPoint);
    }
  }
  return { data, scales, zeroPoints, groupSize: size };
}

/**
 * int8-compresses an adapter. Default scheme 'per-row' (one symmetric scale per
 * rank row of each factor). Every value decodes to within scale/2 of the input.
 */
export function compress(lora: LoraWeights, scheme: QuantScheme = 'per-row', options: CompressOptions = {}): CompressedLora {
  if (!isQuantScheme(scheme)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `unknown scheme ${String(scheme)}; use one of ${QUANT_SCHEMES.join(', ')}`, {
      details: { scheme },
    });
  }
  assertLoraInput(lora);
  const groupSize = resolveGroupSize(lora, scheme, options.groupSize);
  const backend = options.backend ?? getBackend();
  assertWithinValueLimit('lora.a', lora.a, backend);
  assertWithinValueLimit('lora.b', lora.b, backend);
  const { rank, inFeatures, outFeatures } = lora;
  return {
    scheme,
    rank,
    inFeatures,
    outFeatures,
    // −0 → 0: JSON cannot carry −0, and both codecs must agree on every adapter
    alpha: lora.alpha === 0 ? 0 : lora.alpha,
    layerMask: lora.layerMask,
    a: quantizeFactor(lora.a, rank, inFeatures, scheme, groupSize, backend),
    b: quantizeFactor(lora.b, rank, outFeatures, scheme, groupSize, backend),
  };
}
