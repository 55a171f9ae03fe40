import { FEATURES_LIMIT, MicroLoraError, RANK_LIMIT, findNonFinite, isCompressedLora } from '@microlora/core';
import type { QuantizedTensor } from '@microlora/core';
import type { ComposeItem } from './contract.js';

/** The in/out features shared by every item of a composition. */
export interface ComposeShape {
  readonly inFeatures: number;
  readonly outFeatures: number;
}

function isPositiveInt(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max;
}

function fail(code: 'INVALID_ARGUMENT' | 'DIMENSION_MISMATCH' | 'NON_FINITE' | 'RANK_OUT_OF_RANGE', index: number, message: string, details: Record<string, unknown> = {}): never {
  throw new MicroLoraError(code, `items[${index}]${message}`, { details: { index, ...details } });
}

function checkLength(index: number, field: string, actual: number, expected: number): void {
  if (actual !== expected) {
    fail('DIMENSION_MISMATCH', index, `.lora.${field} has length ${actual}, expected ${expected} (rank × features)`, {
      field,
      actual,
      expected,
    });
  }
}

/**
 * An int8 factor has what decompression relies on (it is not re-checked there): typed arrays,
 * rank × features values, scales × groupSize covering them, zero points matching the scales,
 * and finite scales (a NaN scale would poison a whole row). O(number of scales).
 */
function checkTensor(index: number, field: 'a' | 'b', t: QuantizedTensor, expected: number): void {
  const ok =
    typeof t === 'object' &&
    t !== null &&
    t.data instanceof Int8Array &&
    t.scales instanceof Float32Array &&
    (t.zeroPoints === null || (t.zeroPoints instanceof Int16Array && t.zeroPoints.length === t.scales.length));
  if (!ok) {
    fail('INVALID_ARGUMENT', index, `.lora.${field} is not a well-formed QuantizedTensor; build int8 adapters with compress() or a decoder`, {
      field,
    });
  }
  checkLength(index, field === 'a' ? 'a.data' : 'b.data', t.data.length, expected);
  if (!(t.groupSize > 0) || t.scales.length * t.groupSize !== expected) {
    fail('INVALID_ARGUMENT', index, `.lora.${field} has ${t.scales.length} scales of groupSize ${t.groupSize} for ${expected} values`, {
      field,
    });
  }
  const bad = findNonFinite(t.scales);
  if (bad >= 0) fail('NON_FINITE', index, `.lora.${field}.scales[${bad}] is ${t.scales[bad]}; scales must be finite`);
}

function checkShapeOption(name: 'inFeatures' | 'outFeatures', value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!isPositiveInt(value, FEATURES_LIMIT)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `options.${name} must be an integer in [1, ${FEATURES_LIMIT}], got ${String(value)}`, {
      details: { name, value },
    });
  }
  return value;
}

/**
 * Validates what every strategy needs: an array of items whose adapters share
 * in/out features (DIMENSION_MISMATCH otherwise, naming the item), valid ranks,
 * finite scores (NON_FINITE), consistent factor lengths and finite f32 factors.
 * `expected` (options or a target) must match the items when given.
 *
 * Returns the shared shape, or undefined for empty items when `expected` has none.
 * Mixed ranks are fine. Allocates nothing unless it throws.
 */
export function validateComposeItems(
  items: readonly ComposeItem[],
  expected: { readonly inFeatures?: number; readonly outFeatures?: number } = {},
): ComposeShape | undefined {
  if (!Array.isArray(items)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `items must be an array of { lora, score }, got ${Object.prototype.toString.call(items)}`);
  }
  let inFeatures = checkShapeOption('inFeatures', expected.inFeatures);
  let outFeatures = checkShapeOption('outFeatures', expected.outFeatures);
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as ComposeItem | undefined;
    if (typeof item !== 'object' || item === null || typeof item.lora !== 'object' || item.lora === null) {
      fail('INVALID_ARGUMENT', i, ' must be an object { lora, score }');
    }
    const { lora, score } = item;
    if (typeof score !== 'number') fail('INVALID_ARGUMENT', i, `.score must be a number, got ${typeof score}`);
    if (!Number.isFinite(score)) fail('NON_FINITE', i, `.score is ${score}; scores must be finite`, { score });
    const { rank } = lora;
    if (!isPositiveInt(rank, RANK_LIMIT)) {
      fail('RANK_OUT_OF_RANGE', i, `.lora.rank must be an integer in [1, ${RANK_LIMIT}], got ${String(rank)}`, { rank });
    }
    if (!isPositiveInt(lora.inFeatures, FEATURES_LIMIT) || !isPositiveInt(lora.outFeatures, FEATURES_LIMIT)) {
      fail('INVALID_ARGUMENT', i, `.lora has invalid features ${String(lora.inFeatures)} × ${String(lora.outFeatures)}`);
    }
    inFeatures ??= lora.inFeatures;
    outFeatures ??= lora.outFeatures;
    if (lora.inFeatures !== inFeatures || lora.outFeatures !== outFeatures) {
      fail(
        'DIMENSION_MISMATCH',
        i,
        `.lora is ${lora.inFeatures} → ${lora.outFeatures} but the composition is ${inFeatures} → ${outFeatures}; every adapter must share in/out features`,
        { inFeatures: lora.inFeatures, outFeatures: lora.outFeatures, expected: { inFeatures, outFeatures } },
      );
    }
    if (!Number.isFinite(lora.alpha)) fail('NON_FINITE', i, `.lora.alpha is ${String(lora.alpha)}; it must be finite`);
    if (typeof lora.layerMask !== 'bigint') fail('INVALID_ARGUMENT', i, '.lora.layerMask must be a bigint');
    if (isCompressedLora(lora)) {
      checkTensor(i, 'a', lora.a, rank * inFeatures);
      checkTensor(i, 'b', lora.b, rank * outFeatures);
    } else {
      checkLength(i, 'a', lora.a.length, rank * inFeatures);
      checkLength(i, 'b', lora.b.length, rank * outFeatures);
      // int8 data is finite by construction; f32 factors may have been mutated since creation.
      const badA = findNonFinite(lora.a);
      if (badA >= 0) fail('NON_FINITE', i, `.lora.a[${badA}] is ${lora.a[badA]}; factors must be finite`);
      const badB = findNonFinite(lora.b);
      if (badB >= 0) fail('NON_FINITE', i, `.lora.b[${badB}] is ${lora.b[badB]}; factors must be finite`);
    }
  }
  if (inFeatures === undefined || outFeatures === undefined) return undefined;
  return { inFeatures, outFeatures };
}
