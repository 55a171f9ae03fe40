import {
  FEATURES_LIMIT,
  MicroLoraError,
  assertAllFinite,
  assertFiniteNumber,
  assertFloat32Array,
  assertLength,
  assertLoraShape,
  materializeDelta,
} from '@microlora/core';
import type { LoraWeights } from '@microlora/core';

/** A dense ΔW: outFeatures × inFeatures, row-major (`data[o*in + i]`), float64. */
export interface DenseDelta {
  readonly outFeatures: number;
  readonly inFeatures: number;
  readonly data: Float64Array;
}

/** Default cap on out × in for anything aggregated densely (4 Mi entries = 32 MiB of float64). */
export const DEFAULT_MAX_DENSE_ENTRIES = 1 << 22;

export function isDenseDelta(value: LoraWeights | DenseDelta): value is DenseDelta {
  return 'data' in value;
}

/** ΔW = scaling·B·A of an adapter as a DenseDelta (float64). */
export function denseDeltaOf(lora: LoraWeights): DenseDelta {
  assertLoraWeights('lora', lora);
  return { outFeatures: lora.outFeatures, inFeatures: lora.inFeatures, data: materializeDelta(lora) };
}

/** Shape, lengths and finiteness of caller-provided LoraWeights. */
export function assertLoraWeights(name: string, lora: LoraWeights): void {
  if (typeof lora !== 'object' || lora === null) throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be LoraWeights`);
  assertLoraShape(lora);
  assertFloat32Array(`${name}.a`, lora.a);
  assertFloat32Array(`${name}.b`, lora.b);
  assertLength(`${name}.a`, lora.a, lora.rank * lora.inFeatures);
  assertLength(`${name}.b`, lora.b, lora.rank * lora.outFeatures);
  assertAllFinite(`${name}.a`, lora.a);
  assertAllFinite(`${name}.b`, lora.b);
  assertFiniteNumber(`${name}.alpha`, lora.alpha);
  assertFiniteNumber(`${name}.scaling`, lora.scaling);
}

export function assertDenseDelta(name: string, delta: DenseDelta): void {
  const { outFeatures, inFeatures, data } = delta;
  if (!Number.isInteger(outFeatures) || !Number.isInteger(inFeatures) || outFeatures < 1 || inFeatures < 1 || outFeatures > FEATURES_LIMIT || inFeatures > FEATURES_LIMIT) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must have integer outFeatures and inFeatures in [1, ${FEATURES_LIMIT}]`);
  }
  if (!(data instanceof Float64Array)) throw new MicroLoraError('INVALID_ARGUMENT', `${name}.data must be a Float64Array`);
  assertLength(`${name}.data`, data, outFeatures * inFeatures);
  assertAllFinite(`${name}.data`, data);
}

/** Throws LIMIT_EXCEEDED before a dense out × in result is allocated beyond `maxEntries`. */
export function assertDenseSize(outFeatures: number, inFeatures: number, maxEntries: number): void {
  if (outFeatures * inFeatures > maxEntries) {
    throw new MicroLoraError(
      'LIMIT_EXCEEDED',
      `a dense ${outFeatures}×${inFeatures} ΔW has ${outFeatures * inFeatures} entries, above maxDenseEntries ${maxEntries}; ` +
        'raise maxDenseEntries or aggregate factor updates with fedAvg (exact, no dense ΔW)',
      { details: { outFeatures, inFeatures, maxEntries } },
    );
  }
}
