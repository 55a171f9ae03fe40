import { describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { compress } from '@microlora/quantization';
import { createComposeBuffers, factorAverage, getStrategy, weightedAverage } from '@microlora/composer';
import type { ComposeItem } from '@microlora/composer';
import { denseDelta, randomLora, relativeError, weightedSum } from './reference.js';

// The reference document averages A and B separately. DESIGN.md: "factor-space
// averaging is not composition". These tests measure how wrong it is, and keep it so.
function equalItems(k: number, rank = 4, n = 64, m = 48): ComposeItem[] {
  return Array.from({ length: k }, (_, i) => ({ lora: randomLora(100 + i, rank, n, m, { alpha: 8 }), score: 1 }));
}

describe('factor-average (legacy, approximate)', () => {
  it('is registered as approximate and does what the reference document does: A′ = Σ wᵢAᵢ, B′ = Σ wᵢBᵢ', () => {
    expect(getStrategy('factor-average').exact).toBe(false);
    const items = equalItems(3).map((it, i) => ({ ...it, score: [1, 2, 5][i]! }));
    const w = [0.125, 0.25, 0.625];
    const out = factorAverage.compose(items);
    expect(out.rank).toBe(4);
    expect(out.alpha).toBe(8);
    for (const f of ['a', 'b'] as const) {
      const expected = (items[0]!.lora as LoraWeights)[f].map((_, j) => w.reduce((s, wi, i) => s + wi * (items[i]!.lora as LoraWeights)[f][j]!, 0));
      Array.from(out[f]).forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 6));
    }
  });

  it.each([
    [2, Math.sqrt(1 / 2)],
    [4, Math.sqrt(3 / 4)],
    [8, Math.sqrt(7 / 8)],
  ])('k = %i rank-4 adapters: relative error of ΔW is large (≈ √((k−1)/k) = %f), while the exact strategy stays ≤ 1e-5', (k, predicted) => {
    const items = equalItems(k);
    const weights = items.map(() => 1 / k);
    const reference = weightedSum(items, weights);
    const approximate = relativeError(denseDelta(factorAverage.compose(items)), reference);
    const exact = relativeError(denseDelta(weightedAverage.compose(items)), reference);
    expect(approximate).toBeGreaterThan(0.5);
    expect(Math.abs(approximate - predicted)).toBeLessThan(0.15);
    expect(exact).toBeLessThanOrEqual(1e-5);
  });

  it('is exact only in the trivial case of one adapter', () => {
    const items = equalItems(1);
    expect(relativeError(denseDelta(factorAverage.compose(items)), denseDelta(items[0]!.lora))).toBeLessThan(1e-6);
  });

  it('refuses mixed ranks with DIMENSION_MISMATCH pointing to the exact strategies', () => {
    const items = [...equalItems(2), { lora: randomLora(9, 2, 64, 48), score: 1 }];
    try {
      factorAverage.compose(items);
      expect.unreachable();
    } catch (err) {
      expect(isMicroLoraError(err, 'DIMENSION_MISMATCH')).toBe(true);
      expect((err as Error).message).toMatch(/weighted-average/);
    }
  });

  it('int8 inputs average the decompressed factors; composeInto needs room for one decompression block', () => {
    const f32 = equalItems(3, 2, 16, 12);
    const items = f32.map((it, i) => (i === 0 ? it : { ...it, lora: compress(it.lora as LoraWeights, 'per-row') }));
    const fromInt8 = factorAverage.compose(items);
    const fromF32 = factorAverage.compose(f32);
    expect(relativeError(fromInt8.a, fromF32.a)).toBeLessThan(0.02);
    expect(fromInt8.a.length).toBe(2 * 16);
    const tight = createComposeBuffers({ maxRank: 3, inFeatures: 16, outFeatures: 12 });
    expect(() => factorAverage.composeInto!(items, tight)).toThrow(/maxRank ≥ 4/);
    const roomy = createComposeBuffers({ maxRank: 4, inFeatures: 16, outFeatures: 12 });
    expect(Array.from(factorAverage.composeInto!(items, roomy).a)).toEqual(Array.from(fromInt8.a));
  });
});
