import { MicroLoraError, isCompressedLora } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { decompressInto } from '@microlora/quantization';
import type { SimdOps } from '@microlora/simd';
import { assertComposeTarget } from '../buffers.js';
import { assertNoAlias, decompressBackend, exactTarget, missingShape, stagingFor, zeroInto } from '../compose-exact.js';
import type { ApproximateCompositionStrategy, ComposeItem, ComposeTarget, FactorAverageOptions } from '../contract.js';
import { validateComposeItems } from '../items.js';
import { targetViews } from '../target-views.js';
import { weightedAverageWeightsInto } from './weighted-average.js';

const NAME = 'factor-average';

function commonRank(items: readonly ComposeItem[]): number {
  const rank = (items[0] as ComposeItem).lora.rank;
  for (let i = 1; i < items.length; i++) {
    const r = (items[i] as ComposeItem).lora.rank;
    if (r !== rank) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `factor-average needs equal ranks but items[0] has rank ${rank} and items[${i}] rank ${r}; use an exact strategy (e.g. 'weighted-average'), which stacks ranks`,
        { details: { index: i, rank: r, expected: rank } },
      );
    }
  }
  return rank;
}

/** Rows the target needs: the output, plus one scratch block when an int8 item must be decompressed. */
function rowsNeeded(items: readonly ComposeItem[], rank: number): number {
  for (const item of items) if (isCompressedLora(item.lora)) return 2 * rank;
  return rank;
}

function averageInto(items: readonly ComposeItem[], target: ComposeTarget, backend: SimdOps | undefined): LoraWeights {
  if (items.length === 0) return zeroInto(target);
  const rank = commonRank(items);
  const needed = rowsNeeded(items, rank);
  if (needed > target.maxRank) {
    throw new MicroLoraError(
      'CAPACITY_EXCEEDED',
      `factor-average of rank-${rank} adapters needs a target with maxRank ≥ ${needed}${needed > rank ? ' (output + int8 decompression scratch)' : ''}, got ${target.maxRank}`,
      { details: { needed, maxRank: target.maxRank } },
    );
  }
  for (let i = 0; i < items.length; i++) {
    const { lora } = items[i] as ComposeItem;
    if (!isCompressedLora(lora)) assertNoAlias(i, lora, target);
  }
  const weights = target.weights.length >= items.length ? target.weights : new Float64Array(items.length);
  weightedAverageWeightsInto(items, weights);
  const { inFeatures: n, outFeatures: m } = target;
  const la = rank * n;
  const lb = rank * m;
  const simd = decompressBackend(target, backend);
  const staging = stagingFor(target, simd);
  const views = targetViews(target);
  const { a: outA, b: outB } = views.rows(0, rank);
  outA.fill(0);
  outB.fill(0);
  let alpha = 0;
  let layerMask = 0n;
  for (let i = 0; i < items.length; i++) {
    const w = weights[i] as number;
    if (w === 0) continue;
    const { lora } = items[i] as ComposeItem;
    let srcA: Float32Array;
    let srcB: Float32Array;
    if (isCompressedLora(lora)) {
      const scratch = views.rows(rank, rank);
      decompressInto(staging === undefined ? lora : staging.stage(lora), scratch, simd ? { backend: simd } : undefined);
      views.assertAttached(); // outA/outB are written below
      srcA = scratch.a;
      srcB = scratch.b;
    } else {
      srcA = lora.a;
      srcB = lora.b;
    }
    // The reference document's rule: average each factor separately. Not Σ wᵢ ΔWᵢ.
    for (let j = 0; j < la; j++) outA[j] = (outA[j] as number) + w * (srcA[j] as number);
    for (let j = 0; j < lb; j++) outB[j] = (outB[j] as number) + w * (srcB[j] as number);
    alpha += w * lora.alpha;
    layerMask |= lora.layerMask;
  }
  return { rank, inFeatures: n, outFeatures: m, alpha, scaling: alpha / rank, a: outA, b: outB, layerMask };
}

/**
 * LEGACY, APPROXIMATE: the reference document's composition, A' = Σ wᵢAᵢ and
 * B' = Σ wᵢBᵢ with weighted-average weights (and alpha' = Σ wᵢαᵢ). Its ΔW is
 * (Σ wᵢBᵢ)(Σ wᵢAᵢ) ≠ Σ wᵢBᵢAᵢ: relative error ≈ √((k−1)/k) for k independent
 * adapters (0.87 for k = 4). Needs equal ranks. Kept only to reproduce old results.
 */
export const factorAverage: ApproximateCompositionStrategy<FactorAverageOptions> = {
  name: NAME,
  exact: false,
  description: 'LEGACY, APPROXIMATE: averages A and B separately (the reference document); needs equal ranks',
  weights(items, options) {
    validateComposeItems(items, options);
    const out = new Float64Array(items.length);
    weightedAverageWeightsInto(items, out);
    return out;
  },
  compose(items, options) {
    const shape = validateComposeItems(items, options);
    if (shape === undefined) throw missingShape(`strategy "${NAME}"`);
    const rank = items.length === 0 ? 1 : commonRank(items);
    const rows = items.length === 0 ? 1 : rowsNeeded(items, rank);
    const result = averageInto(items, { ...exactTarget(rows, shape), weights: new Float64Array(items.length) }, options?.backend);
    return rows === result.rank ? result : { ...result, a: result.a.slice(), b: result.b.slice() };
  },
  composeInto(items, target, options) {
    assertComposeTarget(target);
    validateComposeItems(items, target);
    return averageInto(items, target, options?.backend);
  },
};
