import { FEATURES_LIMIT, MicroLoraError, RANK_LIMIT } from '@microlora/core';
import type { CompressedLora, MicroLoraErrorCode, QuantScheme } from '@microlora/core';
import { factorGroupSize, factorScaleCount, hasZeroPoints } from './group-layout.js';
import { SCALE_MAX, SCALE_MIN, isQuantScheme } from './limits.js';

const U64_MAX = 0xffff_ffff_ffff_ffffn;

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** What is wrong with the scales of one factor, or undefined. */
export function scalesProblem(name: string, scales: Float32Array): string | undefined {
  for (let i = 0; i < scales.length; i++) {
    const s = scales[i] as number;
    // Written so that NaN fails too.
    if (!(s >= SCALE_MIN && s <= SCALE_MAX)) return `${name}.scales[${i}] is ${s}; scales must be in [2^-126, 2^100]`;
  }
  return undefined;
}

/** What is wrong with the zero points of one factor, or undefined. */
export function zeroPointsProblem(name: string, zeroPoints: Int16Array): string | undefined {
  for (let i = 0; i < zeroPoints.length; i++) {
    const z = zeroPoints[i] as number;
    if (z < -128 || z > 127) return `${name}.zeroPoints[${i}] is ${z}; zero points must be in [-128, 127]`;
  }
  return undefined;
}

function tensorProblem(
  name: 'a' | 'b',
  tensor: unknown,
  scheme: QuantScheme,
  rank: number,
  cols: number,
): string | undefined {
  if (typeof tensor !== 'object' || tensor === null) return `${name} must be a QuantizedTensor object`;
  const t = tensor as Record<string, unknown>;
  const { data, scales, zeroPoints, groupSize } = t;
  if (!(data instanceof Int8Array)) return `${name}.data must be an Int8Array`;
  if (data.length !== rank * cols) return `${name}.data has length ${data.length}, expected rank × ${cols} = ${rank * cols}`;
  if (!isIntegerIn(groupSize, 1, rank * cols)) return `${name}.groupSize must be an integer in [1, ${rank * cols}]`;
  if (scheme === 'grouped' && cols % groupSize !== 0) {
    return `${name}.groupSize ${groupSize} does not divide the row length ${cols}; groups may not straddle rows`;
  }
  const expectedGroup = factorGroupSize(scheme, rank, cols, groupSize);
  if (groupSize !== expectedGroup) return `${name}.groupSize is ${groupSize}, expected ${expectedGroup} for '${scheme}'`;
  if (!(scales instanceof Float32Array)) return `${name}.scales must be a Float32Array`;
  const count = factorScaleCount(scheme, rank, cols, groupSize);
  if (scales.length !== count) return `${name}.scales has length ${scales.length}, expected ${count}`;
  const bad = scalesProblem(name, scales);
  if (bad !== undefined) return bad;
  if (!hasZeroPoints(scheme)) {
    return zeroPoints === null ? undefined : `${name}.zeroPoints must be null for '${scheme}'`;
  }
  if (!(zeroPoints instanceof Int16Array)) return `${name}.zeroPoints must be an Int16Array for '${scheme}'`;
  if (zeroPoints.length !== count) return `${name}.zeroPoints has length ${zeroPoints.length}, expected ${count}`;
  return zeroPointsProblem(name, zeroPoints);
}

/** What is wrong with a would-be CompressedLora, or undefined when it is valid. O(number of scales). */
export function compressedLoraProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a CompressedLora must be an object';
  const c = value as Record<string, unknown>;
  const { scheme, rank, inFeatures, outFeatures, alpha, layerMask } = c;
  if (!isQuantScheme(scheme)) return `scheme ${String(scheme)} is not one of per-tensor, per-row, asymmetric, grouped`;
  if (!isIntegerIn(rank, 1, RANK_LIMIT)) return `rank ${String(rank)} must be an integer in [1, ${RANK_LIMIT}]`;
  if (!isIntegerIn(inFeatures, 1, FEATURES_LIMIT)) {
    return `inFeatures ${String(inFeatures)} must be an integer in [1, ${FEATURES_LIMIT}]`;
  }
  if (!isIntegerIn(outFeatures, 1, FEATURES_LIMIT)) {
    return `outFeatures ${String(outFeatures)} must be an integer in [1, ${FEATURES_LIMIT}]`;
  }
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) return `alpha ${String(alpha)} must be a finite number`;
  if (typeof layerMask !== 'bigint' || layerMask < 0n || layerMask > U64_MAX) {
    return `layerMask ${String(layerMask)} must be a bigint in [0, 2^64)`;
  }
  const aProblem = tensorProblem('a', c.a, scheme, rank, inFeatures);
  if (aProblem !== undefined) return aProblem;
  const bProblem = tensorProblem('b', c.b, scheme, rank, outFeatures);
  if (bProblem !== undefined) return bProblem;
  if (scheme === 'grouped' && (c.a as { groupSize: number }).groupSize !== (c.b as { groupSize: number }).groupSize) {
    return 'a.groupSize and b.groupSize must be equal for the grouped scheme';
  }
  return undefined;
}

/** Throws `code` (INVALID_ARGUMENT by default) naming the first problem of a would-be CompressedLora. */
export function assertValidCompressedLora(
  value: unknown,
  code: MicroLoraErrorCode = 'INVALID_ARGUMENT',
): asserts value is CompressedLora {
  const problem = compressedLoraProblem(value);
  if (problem !== undefined) {
    throw new MicroLoraError(code, `invalid CompressedLora: ${problem}`, { details: { problem } });
  }
}
