import { describe, expect, it } from 'vitest';
import { isMicroLoraError, materializeDelta, zeroLora } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { QUANT_SCHEMES, compress, decompress, relativeFrobeniusError } from '@microlora/quantization';
import { gaussianLora, randomLora, realisticLora } from './fixtures.js';

/** Naive reference: materialise both ΔW in float64. */
function naiveRelativeError(original: LoraWeights, decoded: LoraWeights): number {
  const d = materializeDelta(original);
  const e = materializeDelta(decoded);
  let num = 0;
  let den = 0;
  for (let i = 0; i < d.length; i++) {
    num += (d[i]! - e[i]!) ** 2;
    den += d[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

describe('relativeFrobeniusError', () => {
  it('matches the materialised float64 reference', () => {
    for (const scheme of QUANT_SCHEMES) {
      const lora = randomLora(21, 3, 64, 128);
      const c = compress(lora, scheme, scheme === 'grouped' ? { groupSize: 16 } : {});
      const fast = relativeFrobeniusError(lora, c);
      expect(fast).toBeGreaterThan(1e-4);
      expect(Math.abs(fast - naiveRelativeError(lora, decompress(c))) / fast).toBeLessThan(1e-9);
    }
  });

  it('is 0 for a zero adapter and rejects mismatched shapes', () => {
    const zero = zeroLora({ rank: 2, inFeatures: 16, outFeatures: 8 });
    expect(relativeFrobeniusError(zero, compress(zero))).toBe(0);
    try {
      relativeFrobeniusError(randomLora(1, 2, 16, 9), compress(zero));
      expect.unreachable();
    } catch (err) {
      expect(isMicroLoraError(err, 'DIMENSION_MISMATCH')).toBe(true);
    }
  });
});

/**
 * The uniform-rounding model of the error: each entry of a row quantised with
 * step s carries noise of variance s²/12, so E‖ΔW − ΔŴ‖² = Σ_r ‖δb_r‖²‖a_r‖² + ‖b_r‖²‖δa_r‖².
 */
function predictedError(lora: LoraWeights, steps: { a: Float32Array; b: Float32Array }): number {
  const { rank, inFeatures: n, outFeatures: m, a, b } = lora;
  const dot = (x: Float32Array, xo: number, y: Float32Array, yo: number, len: number): number => {
    let s = 0;
    for (let i = 0; i < len; i++) s += x[xo + i]! * y[yo + i]!;
    return s;
  };
  let noise = 0;
  let reference = 0;
  for (let r = 0; r < rank; r++) {
    const aa = dot(a, r * n, a, r * n, n);
    const bb = dot(b, r * m, b, r * m, m);
    noise += ((m * steps.b[r]! ** 2) / 12) * aa + bb * ((n * steps.a[r]! ** 2) / 12);
    for (let q = 0; q < rank; q++) reference += dot(a, r * n, a, q * n, n) * dot(b, r * m, b, q * m, m);
  }
  return Math.sqrt(noise / reference);
}

describe('ΔW error on harder adapters (Gaussian factors, rows of magnitudes spread over 4×, 768×768)', () => {
  const SEEDS = 24;

  it('per-row sits on the uniform-rounding floor: measured error within 5% of the s²/12 model', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const lora = realisticLora(seed, 2);
      const c = compress(lora, 'per-row');
      const ratio = relativeFrobeniusError(lora, c) / predictedError(lora, { a: c.a.scales, b: c.b.scales });
      expect(ratio).toBeGreaterThan(0.95);
      expect(ratio).toBeLessThan(1.05);
    }
  });

  for (const rank of [2, 4]) {
    it(`rank ${rank}: per-row ≈ 1.1% on average (floor of int8 per-row on Gaussian rows); grouped < asymmetric < per-row < per-tensor`, () => {
      const mean: Record<string, number> = {};
      for (let seed = 1; seed <= SEEDS; seed++) {
        const lora = realisticLora(seed, rank);
        for (const scheme of QUANT_SCHEMES) {
          const e = relativeFrobeniusError(lora, compress(lora, scheme));
          // no single adapter is far off: per-row's worst over 100 seeds is ~1.27%
          if (scheme !== 'per-tensor') expect(e).toBeLessThan(0.0135);
          mean[scheme] = (mean[scheme] ?? 0) + e / SEEDS;
        }
      }
      // measured means: per-row 1.10% (rank 2) / 1.09% (rank 4); the brief's 1.1% is this floor, not below it
      expect(mean['per-row']).toBeLessThanOrEqual(0.0115);
      expect(mean['grouped']).toBeLessThanOrEqual(0.009);
      expect(mean['grouped']!).toBeLessThan(mean['asymmetric']!);
      expect(mean['asymmetric']!).toBeLessThan(mean['per-row']!);
      expect(mean['per-row']!).toBeLessThan(mean['per-tensor']!);
    });
  }
});

describe('ΔW error on Gaussian adapters (both factors i.i.d. Gaussian, 768×768)', () => {
  for (const rank of [2, 4]) {
    it(`rank ${rank}: per-row stays at or under 1.1% (the acceptance bound), grouped lower`, () => {
      let perRow = 0;
      let grouped = 0;
      const seeds = 24;
      for (let seed = 101; seed < 101 + seeds; seed++) {
        const lora = gaussianLora(seed, rank);
        perRow += relativeFrobeniusError(lora, compress(lora, 'per-row')) / seeds;
        grouped += relativeFrobeniusError(lora, compress(lora, 'grouped')) / seeds;
      }
      // measured: per-row 1.07% (rank 2 and 4), grouped(64) 0.84%
      expect(perRow).toBeLessThanOrEqual(0.011);
      expect(grouped).toBeLessThan(perRow * 0.85);
    });
  }
});
