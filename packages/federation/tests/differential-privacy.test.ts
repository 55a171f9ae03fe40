import { describe, expect, it } from 'vitest';
import { SeededRng, loraFromFactors } from '@microlora/core';
import { addGaussianNoise, gaussianSigma } from '@microlora/federation';
import { makeWeights } from './helpers/fixtures.js';

const ones = loraFromFactors({ rank: 2, inFeatures: 16, outFeatures: 12, a: new Float32Array(32).fill(1), b: new Float32Array(24).fill(1) });
const NORM = Math.sqrt(56);

function flat(l: { a: Float32Array; b: Float32Array }): number[] {
  return [...l.a, ...l.b];
}

describe('gaussianSigma', () => {
  it('is C·√(2 ln(1.25/δ))/ε', () => {
    expect(gaussianSigma(0.5, 1e-5, 2)).toBeCloseTo((2 * Math.sqrt(2 * Math.log(125_000))) / 0.5, 12);
    expect(gaussianSigma(0.9, 0.01, 1)).toBeCloseTo(Math.sqrt(2 * Math.log(125)) / 0.9, 12);
  });
});

describe('addGaussianNoise', () => {
  const dp = { epsilon: 0.9, delta: 0.5, clipNorm: 1 };
  const sigma = gaussianSigma(dp.epsilon, dp.delta, dp.clipNorm);

  /** What the mechanism must output for seed `seed`: fround(θᵢ·min(1, C/‖θ‖) + σ·zᵢ), z from SeededRng(seed) in [A; Bᵀ] order. */
  function reference(theta: number[], clipNorm: number, seed: number): number[] {
    const norm = Math.sqrt(theta.reduce((s, v) => s + v * v, 0));
    const scale = norm > clipNorm ? clipNorm / norm : 1;
    const rng = new SeededRng(seed);
    const sd = gaussianSigma(dp.epsilon, dp.delta, clipNorm);
    return theta.map((v) => Math.fround(v * scale + sd * rng.normal()));
  }

  it('clips [A; Bᵀ] to C, then adds σ·N(0, 1) per coordinate: exact against a float64 reference', () => {
    for (const seed of [0, 1, 2]) {
      expect(flat(addGaussianNoise(ones, { ...dp, seed }))).toStrictEqual(reference(flat(ones), 1, seed));
    }
  });

  it('leaves a vector already inside the clip ball unscaled', () => {
    const small = makeWeights(4);
    expect(Math.sqrt(flat(small).reduce((s, v) => s + v * v, 0))).toBeLessThan(100);
    expect(flat(addGaussianNoise(small, { ...dp, clipNorm: 100, seed: 7 }))).toStrictEqual(reference(flat(small), 100, 7));
  });

  it('without a seed draws from crypto.getRandomValues: centred on the clipped θ, spread σ, different every call', () => {
    const runs = 2000;
    let sum = 0;
    let sq = 0;
    for (let r = 0; r < runs; r++) {
      for (const v of flat(addGaussianNoise(ones, dp))) {
        sum += v;
        sq += (v - 1 / NORM) ** 2;
      }
    }
    const n = runs * 56;
    // Standard error of the pooled mean: σ/√n ≈ 0.0045; unclipped it would be 1.
    expect(Math.abs(sum / n - 1 / NORM)).toBeLessThan(0.025);
    expect(Math.sqrt(sq / n) / sigma).toBeGreaterThan(0.98);
    expect(Math.sqrt(sq / n) / sigma).toBeLessThan(1.02);
    expect(flat(addGaussianNoise(ones, dp))).not.toStrictEqual(flat(addGaussianNoise(ones, dp)));
  });

  it('is reproducible with a seed and keeps shape, alpha and layer mask', () => {
    const w = { ...makeWeights(3), alpha: 5, scaling: 2.5, layerMask: 6n };
    const one = addGaussianNoise(w, { ...dp, seed: 'x' });
    expect(flat(one)).toStrictEqual(flat(addGaussianNoise(w, { ...dp, seed: 'x' })));
    expect(flat(one)).not.toStrictEqual(flat(addGaussianNoise(w, { ...dp, seed: 'y' })));
    expect(one).toMatchObject({ rank: 2, inFeatures: 16, outFeatures: 12, alpha: 5, layerMask: 6n });
  });

  it('rejects parameters outside the proven range', () => {
    const w = makeWeights(1);
    expect(() => addGaussianNoise(w, { ...dp, epsilon: 1 })).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    expect(() => addGaussianNoise(w, { ...dp, epsilon: 0 })).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    expect(() => addGaussianNoise(w, { ...dp, delta: 0 })).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    expect(() => addGaussianNoise(w, { ...dp, clipNorm: 0 })).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    expect(() => addGaussianNoise(w, { ...dp, epsilon: Number.NaN })).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
  });
});
