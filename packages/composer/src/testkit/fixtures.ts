import { SeededRng, isCompressedLora, loraFromFactors, materializeDelta } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { compress, decompress } from '@microlora/quantization';
import type { ComposeItem } from '../contract.js';

/** Fixture shape: small enough that the dense float64 reference is instant. */
export const FIXTURE_IN = 24;
export const FIXTURE_OUT = 16;

/** A seeded adapter with both factors non-zero (so ΔW ≠ 0) and its own alpha and layer mask. */
export function fixtureLora(
  seed: number,
  rank: number,
  options: { alpha?: number; layerMask?: bigint; inFeatures?: number; outFeatures?: number } = {},
): LoraWeights {
  const rng = new SeededRng(seed);
  const inFeatures = options.inFeatures ?? FIXTURE_IN;
  const outFeatures = options.outFeatures ?? FIXTURE_OUT;
  return loraFromFactors({
    rank,
    inFeatures,
    outFeatures,
    a: rng.fillNormal(new Float32Array(rank * inFeatures), 1 / Math.sqrt(inFeatures)),
    b: rng.fillNormal(new Float32Array(rank * outFeatures), 0.5),
    alpha: options.alpha ?? 2 * rank,
    layerMask: options.layerMask ?? 1n << BigInt(seed % 64),
  });
}

/** Three f32 adapters of rank 2 with distinct scores, alphas and layer masks. */
export function equalRankItems(): ComposeItem[] {
  return [
    { lora: fixtureLora(11, 2, { alpha: 4, layerMask: 0b0011n }), score: 0.9 },
    { lora: fixtureLora(12, 2, { alpha: 2, layerMask: 0b0110n }), score: 0.4 },
    { lora: fixtureLora(13, 2, { alpha: 1, layerMask: 1n << 40n }), score: 0.7 },
  ];
}

/** f32 adapters of ranks 1, 3, 2 (exact strategies must stack them). */
export function mixedRankItems(): ComposeItem[] {
  return [
    { lora: fixtureLora(21, 1, { alpha: 1, layerMask: 0b1000n }), score: 0.3 },
    { lora: fixtureLora(22, 3, { alpha: 6, layerMask: 0b0001n }), score: 0.8 },
    { lora: fixtureLora(23, 2, { alpha: 8, layerMask: 1n << 63n }), score: 0.5 },
  ];
}

/** int8 adapters of rank 2 (per-row, asymmetric and per-tensor schemes) mixed with one f32 adapter. */
export function int8Items(): ComposeItem[] {
  return [
    { lora: compress(fixtureLora(31, 2, { alpha: 4, layerMask: 0b01n }), 'per-row'), score: 0.6 },
    { lora: fixtureLora(32, 2, { alpha: 3, layerMask: 0b10n }), score: 0.2 },
    { lora: compress(fixtureLora(33, 2, { alpha: 1, layerMask: 1n << 33n }), 'asymmetric'), score: 0.9 },
    { lora: compress(fixtureLora(34, 2, { alpha: 2, layerMask: 1n << 34n }), 'per-tensor'), score: 0.5 },
  ];
}

/** int8 adapters of ranks 2, 1, 3 mixed with one f32 adapter. */
export function mixedRankInt8Items(): ComposeItem[] {
  return [
    { lora: compress(fixtureLora(35, 2, { alpha: 4, layerMask: 0b01n }), 'per-row'), score: 0.6 },
    { lora: fixtureLora(36, 1, { alpha: 3, layerMask: 0b10n }), score: 0.2 },
    { lora: compress(fixtureLora(37, 3, { alpha: 3, layerMask: 1n << 33n }), 'per-tensor'), score: 0.9 },
  ];
}

/** The f32 adapter a composer actually sees for an item (int8 decompressed). */
export function itemWeights(item: ComposeItem): LoraWeights {
  return isCompressedLora(item.lora) ? decompress(item.lora) : item.lora;
}

/** Σ wᵢ ΔWᵢ in float64: the ground truth an exact strategy must reproduce. */
export function referenceComposite(items: readonly ComposeItem[], weights: ArrayLike<number>): Float64Array {
  const first = items[0];
  if (first === undefined) throw new Error('referenceComposite needs at least one item');
  const sum = new Float64Array(first.lora.inFeatures * first.lora.outFeatures);
  items.forEach((item, i) => {
    const w = weights[i] as number;
    if (w === 0) return;
    const delta = materializeDelta(itemWeights(item));
    for (let j = 0; j < sum.length; j++) sum[j] = (sum[j] as number) + w * (delta[j] as number);
  });
  return sum;
}

/** ‖x − ref‖_F / ‖ref‖_F (or ‖x‖_F when ref is zero). */
export function relativeFrobeniusDistance(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (x.length !== ref.length) throw new Error(`cannot compare matrices of ${x.length} and ${ref.length} entries`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] as number) - (ref[i] as number);
    diff += d * d;
    norm += (ref[i] as number) ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}
