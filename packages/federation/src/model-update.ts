import { MicroLoraError } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { assertDenseDelta, assertLoraWeights, isDenseDelta } from './dense-delta.js';
import type { DenseDelta } from './dense-delta.js';

/** One peer's contribution: its adapter (or dense ΔW) and how many samples produced it. */
export interface ModelUpdate<W extends LoraWeights | DenseDelta = LoraWeights | DenseDelta> {
  weights: W;
  sampleCount: number;
}

/** The common shape of a list of updates, after validating each. */
export interface UpdateShape {
  outFeatures: number;
  inFeatures: number;
  allFactors: boolean;
  /** The shared layer mask of factor updates (ALL_LAYERS semantics stay with the caller for dense ones). */
  layerMask: bigint | undefined;
}

/** Validates updates and that they share one ΔW shape (and layer mask, for factor updates). */
export function checkUpdates(updates: readonly { weights: LoraWeights | DenseDelta }[]): UpdateShape {
  if (!Array.isArray(updates) || updates.length === 0) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'updates must be a non-empty array of { weights, sampleCount }');
  }
  let shape: UpdateShape | undefined;
  updates.forEach((update, i) => {
    if (typeof update !== 'object' || update === null || typeof update.weights !== 'object' || update.weights === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', `updates[${i}] must be { weights, sampleCount }`);
    }
    const w = update.weights;
    const dense = isDenseDelta(w);
    if (dense) assertDenseDelta(`updates[${i}].weights`, w);
    else assertLoraWeights(`updates[${i}].weights`, w);
    const layerMask = dense ? undefined : w.layerMask;
    if (shape === undefined) {
      shape = { outFeatures: w.outFeatures, inFeatures: w.inFeatures, allFactors: !dense, layerMask };
      return;
    }
    if (w.outFeatures !== shape.outFeatures || w.inFeatures !== shape.inFeatures) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `updates[${i}] is ${w.outFeatures}×${w.inFeatures}, updates[0] is ${shape.outFeatures}×${shape.inFeatures}; aggregate updates of one layer shape`,
        { details: { index: i } },
      );
    }
    if (layerMask !== undefined && shape.layerMask !== undefined && layerMask !== shape.layerMask) {
      throw new MicroLoraError('INVALID_ARGUMENT', `updates[${i}] applies to other layers (layerMask) than updates[0]; aggregate per layer set`);
    }
    shape.allFactors &&= !dense;
    shape.layerMask ??= layerMask;
  });
  return shape as UpdateShape;
}

/** Writes row `o` of ΔW (length inFeatures) of an update into `out`. */
export function deltaRowInto(w: LoraWeights | DenseDelta, o: number, out: Float64Array): void {
  if (isDenseDelta(w)) {
    out.set(w.data.subarray(o * w.inFeatures, (o + 1) * w.inFeatures));
    return;
  }
  const { rank, inFeatures: n, outFeatures: m, a, b, scaling } = w;
  out.fill(0);
  for (let r = 0; r < rank; r++) {
    const c = scaling * (b[r * m + o] as number);
    if (c === 0) continue;
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) + c * (a[r * n + i] as number);
  }
}
