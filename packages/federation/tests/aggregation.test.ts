import { describe, expect, it } from 'vitest';
import { ALL_LAYERS, SeededRng, loraFromFactors, materializeDelta } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { denseDeltaOf, fedAvg, isDenseDelta, lowRankApprox, trimmedMean, truncateRank } from '@microlora/federation';
import type { DenseDelta } from '@microlora/federation';
import { makeWeights } from './helpers/fixtures.js';

function frobenius(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] as number) ** 2;
  return Math.sqrt(s);
}

function relativeDistance(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const d = Float64Array.from(x, (v, i) => v - (y[i] as number));
  return frobenius(d) / frobenius(y);
}

/** Σ wᵢ ΔWᵢ in float64, the reference every aggregate is checked against. */
function weightedDelta(items: readonly { w: LoraWeights | DenseDelta; weight: number }[]): Float64Array {
  const first = items[0]!.w;
  const out = new Float64Array(first.outFeatures * first.inFeatures);
  for (const { w, weight } of items) {
    const d = isDenseDelta(w) ? w.data : materializeDelta(w);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + weight * (d[i] as number);
  }
  return out;
}

/** `count` orthonormal columns of length `rows` (Gram–Schmidt on Gaussians), column-major. */
function orthonormal(rows: number, count: number, seed: number): Float64Array {
  const rng = new SeededRng(seed);
  const q = rng.fillNormal(new Float64Array(rows * count));
  for (let j = 0; j < count; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += q[k * rows + i]! * q[j * rows + i]!;
        for (let i = 0; i < rows; i++) q[j * rows + i]! -= dot * q[k * rows + i]!;
      }
    }
    const norm = frobenius(q.subarray(j * rows, (j + 1) * rows));
    for (let i = 0; i < rows; i++) q[j * rows + i]! /= norm;
  }
  return q;
}

/** An adapter whose ΔW = U·diag(σ)·Vᵀ exactly has singular values σ (up to float32 storage). */
function withSpectrum(sigma: readonly number[], out: number, inn: number, seed: number): LoraWeights {
  const r = sigma.length;
  const u = orthonormal(out, r, seed);
  const v = orthonormal(inn, r, seed + 1);
  const a = new Float32Array(r * inn);
  const b = new Float32Array(r * out);
  for (let k = 0; k < r; k++) {
    for (let i = 0; i < inn; i++) a[k * inn + i] = v[k * inn + i]!;
    for (let o = 0; o < out; o++) b[k * out + o] = sigma[k]! * u[k * out + o]!;
  }
  return loraFromFactors({ rank: r, inFeatures: inn, outFeatures: out, alpha: r, a, b });
}

describe('fedAvg', () => {
  const updates = [
    { weights: makeWeights(1, 2), sampleCount: 10 },
    { weights: { ...makeWeights(2, 1), alpha: 7, scaling: 7 }, sampleCount: 30 },
    { weights: makeWeights(3, 3), sampleCount: 60 },
  ];
  const reference = weightedDelta(updates.map((u) => ({ w: u.weights, weight: u.sampleCount / 100 })));

  it('of factor updates is the sample-weighted mean of ΔW, exact up to float32 storage (rank stacks)', () => {
    const avg = fedAvg(updates);
    expect(avg.rank).toBe(6);
    expect(avg.scaling).toBe(1);
    expect(relativeDistance(materializeDelta(avg), reference)).toBeLessThan(1e-6);
  });

  it('is not the same as averaging the factors, which the legacy spec does (DESIGN point 1)', () => {
    const same = [1, 2, 3, 4].map((s) => ({ weights: makeWeights(s, 4), sampleCount: 1 }));
    const factorMean = loraFromFactors({
      rank: 4,
      inFeatures: 16,
      outFeatures: 12,
      a: Float32Array.from(same[0]!.weights.a, (_, i) => same.reduce((s, u) => s + u.weights.a[i]!, 0) / 4),
      b: Float32Array.from(same[0]!.weights.b, (_, i) => same.reduce((s, u) => s + u.weights.b[i]!, 0) / 4),
    });
    const truth = weightedDelta(same.map((u) => ({ w: u.weights, weight: 0.25 })));
    expect(relativeDistance(materializeDelta(factorMean), truth)).toBeGreaterThan(0.5);
    expect(relativeDistance(materializeDelta(fedAvg(same)), truth)).toBeLessThan(1e-6);
  });

  it('of dense or mixed updates is exact in float64', () => {
    const mixed = [{ weights: denseDeltaOf(updates[0]!.weights), sampleCount: 10 }, updates[1]!, updates[2]!];
    const avg = fedAvg(mixed);
    expect(isDenseDelta(avg)).toBe(true);
    expect(relativeDistance((avg as DenseDelta).data, reference)).toBeLessThan(1e-14);
  });

  it('ignores updates with zero samples', () => {
    const avg = fedAvg([...updates, { weights: makeWeights(99, 4), sampleCount: 0 }]);
    expect(avg.rank).toBe(6);
    expect(relativeDistance(materializeDelta(avg), reference)).toBeLessThan(1e-6);
  });

  it('with targetRank ≥ rank(ΔW) loses nothing; below it, exactly the optimal tail (Eckart–Young)', () => {
    expect(relativeDistance(materializeDelta(fedAvg(updates, { targetRank: 6 })), reference)).toBeLessThan(1e-6);
    const sigma = [5, 4, 3, 2, 1];
    const spectrum = withSpectrum(sigma, 12, 16, 4);
    const halves = [
      { weights: spectrum, sampleCount: 1 },
      { weights: spectrum, sampleCount: 1 },
    ];
    const truncated = fedAvg(halves, { targetRank: 3 });
    expect(truncated.rank).toBe(3);
    const optimal = Math.sqrt((2 ** 2 + 1) / sigma.reduce((s, x) => s + x * x, 0));
    expect(Math.abs(relativeDistance(materializeDelta(truncated), materializeDelta(spectrum)) - optimal)).toBeLessThan(1e-5);
  });

  it('validates its input', () => {
    expect(() => fedAvg([])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => fedAvg([updates[0]!, { weights: makeWeights(5, 2, 8, 12), sampleCount: 1 }])).toThrow(
      expect.objectContaining({ code: 'DIMENSION_MISMATCH' }),
    );
    expect(() => fedAvg([updates[0]!, { weights: { ...makeWeights(5), layerMask: 1n }, sampleCount: 1 }])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => fedAvg([{ weights: makeWeights(1), sampleCount: -1 }])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => fedAvg([{ weights: makeWeights(1), sampleCount: 0 }])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const nan = makeWeights(1);
    nan.a[3] = Number.NaN;
    expect(() => fedAvg([{ weights: nan, sampleCount: 1 }])).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
    const many = Array.from({ length: 1025 }, (_, i) => ({ weights: makeWeights(i, 1, 2, 2), sampleCount: 1 }));
    expect(() => fedAvg(many)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
    expect(fedAvg(many, { targetRank: 2 }).rank).toBe(2);
    const dense = { weights: { outFeatures: 4096, inFeatures: 2048, data: new Float64Array(1) }, sampleCount: 1 };
    expect(() => fedAvg([dense])).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
  });
});

describe('trimmedMean', () => {
  it('trims per coordinate: on [1, 2, 3, 100, −50] with trimFraction 0.2 every entry is 2', () => {
    const values = [1, 2, 3, 100, -50];
    const updates = values.map((v) => ({ weights: { outFeatures: 2, inFeatures: 3, data: new Float64Array(6).fill(v) } }));
    expect([...trimmedMean(updates, 0.2).data]).toStrictEqual(new Array(6).fill(2));
  });

  it('with trimFraction 0 is the plain mean of ΔW (factor updates included)', () => {
    const updates = [1, 2, 3].map((s) => ({ weights: makeWeights(s, s) }));
    const reference = weightedDelta(updates.map((u) => ({ w: u.weights, weight: 1 / 3 })));
    expect(relativeDistance(trimmedMean(updates, 0).data, reference)).toBeLessThan(1e-14);
  });

  describe('with 20% poisoned updates (4 of 20, trimFraction 0.2)', () => {
    const honest = Array.from({ length: 16 }, (_, i) => {
      // Peers agree on a shared direction plus their own noise.
      const base = makeWeights(7, 2);
      const noise = makeWeights(100 + i, 2, 16, 12, 0.02);
      return { weights: loraFromFactors({ ...base, a: base.a.map((v, j) => v + noise.a[j]!), b: base.b.map((v, j) => v + noise.b[j]!) }), sampleCount: 10 };
    });
    const honestDeltas = honest.map((u) => materializeDelta(u.weights));
    const mu = weightedDelta(honest.map((u) => ({ w: u.weights, weight: 1 / 16 })));
    // The stated bound: Σ_j max_h (x_hj − μ_j)², i.e. every entry stays inside the honest spread.
    const bound = Math.sqrt(mu.reduce((s, m, j) => s + Math.max(...honestDeltas.map((d) => (d[j]! - m) ** 2)), 0));
    const poisons: Record<string, (i: number) => LoraWeights | DenseDelta> = {
      'huge, same direction': () => ({ outFeatures: 12, inFeatures: 16, data: new Float64Array(192).fill(1e3) }),
      'huge, mixed signs': (i) => ({ outFeatures: 12, inFeatures: 16, data: new Float64Array(192).fill(i === 0 ? -1e6 : 1e6) }),
      'scaled-up honest direction': () => ({ ...makeWeights(7, 2), alpha: 4e4, scaling: 2e4 }),
      'negated honest mean ×50': () => ({ outFeatures: 12, inFeatures: 16, data: mu.map((v) => -50 * v) }),
    };
    for (const [name, poison] of Object.entries(poisons)) {
      it(`${name}: every entry within the honest range, ‖T − μ_H‖_F ≤ bound; FedAvg is far outside`, () => {
        const all = [...honest, ...[0, 1, 2, 3].map((i) => ({ weights: poison(i), sampleCount: 10 }))];
        const trimmed = trimmedMean(all, 0.2).data;
        for (let j = 0; j < mu.length; j++) {
          const column = honestDeltas.map((d) => d[j]!);
          expect(trimmed[j]!).toBeGreaterThanOrEqual(Math.min(...column) - 1e-12);
          expect(trimmed[j]!).toBeLessThanOrEqual(Math.max(...column) + 1e-12);
        }
        const trimmedError = frobenius(trimmed.map((v, j) => v - mu[j]!));
        expect(trimmedError).toBeLessThanOrEqual(bound);
        const avg = fedAvg(all);
        const avgError = frobenius((isDenseDelta(avg) ? avg.data : materializeDelta(avg)).map((v, j) => v - mu[j]!));
        expect(avgError).toBeGreaterThan(10 * bound);
      });
    }
  });

  it('validates trimFraction and size', () => {
    const u = [{ weights: makeWeights(1) }, { weights: makeWeights(2) }];
    expect(() => trimmedMean(u, 0.5)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    expect(() => trimmedMean(u, Number.NaN)).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
    expect(() => trimmedMean(u, 0.1, { maxDenseEntries: 100 })).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
  });
});

describe('rank truncation', () => {
  it('truncateRank is exact when the target covers the rank, optimal below it', () => {
    const lora = withSpectrum([3, 2, 1, 0.5], 12, 16, 9);
    const full = truncateRank(lora, 4);
    expect(full.relativeError).toBeLessThan(1e-12);
    expect(relativeDistance(materializeDelta(full.lora), materializeDelta(lora))).toBeLessThan(1e-6);
    const two = truncateRank(lora, 2);
    const optimal = Math.sqrt((1 + 0.25) / (9 + 4 + 1 + 0.25));
    expect(two.relativeError).toBeCloseTo(optimal, 6);
    expect(relativeDistance(materializeDelta(two.lora), materializeDelta(lora))).toBeCloseTo(optimal, 5);
    expect(two.lora.layerMask).toBe(ALL_LAYERS);
  });

  it('lowRankApprox recovers a dense ΔW of low rank exactly, and is near-optimal on a decaying spectrum', () => {
    const exact = denseDeltaOf(withSpectrum([4, 3, 2], 40, 56, 11));
    const three = lowRankApprox(exact, 3);
    expect(three.relativeError).toBeLessThan(1e-12);
    expect(relativeDistance(materializeDelta(three.lora), exact.data)).toBeLessThan(1e-6);
    const sigma = Array.from({ length: 40 }, (_, k) => 0.8 ** k);
    const decaying = denseDeltaOf(withSpectrum(sigma, 40, 56, 12));
    const approx = lowRankApprox(decaying, 4);
    const total = sigma.reduce((s, x) => s + x * x, 0);
    const optimal = Math.sqrt(sigma.slice(4).reduce((s, x) => s + x * x, 0) / total);
    expect(approx.relativeError).toBeGreaterThanOrEqual(optimal * (1 - 1e-6));
    expect(approx.relativeError).toBeLessThan(optimal * 1.01);
    expect(relativeDistance(materializeDelta(approx.lora), decaying.data)).toBeCloseTo(approx.relativeError, 5);
  });

  it('a zero ΔW truncates to a zero rank-1 adapter with no error', () => {
    const zero = loraFromFactors({ rank: 3, inFeatures: 5, outFeatures: 4, a: new Float32Array(15), b: new Float32Array(12) });
    const truncated = truncateRank(zero, 2);
    expect(truncated.relativeError).toBe(0);
    expect(truncated.lora.rank).toBe(1);
    expect(materializeDelta(truncated.lora).every((v) => v === 0)).toBe(true);
    expect(lowRankApprox(denseDeltaOf(zero), 2).relativeError).toBe(0);
  });

  it('a trimmed mean becomes an adapter again', () => {
    const updates = [1, 2, 3, 4, 5].map((s) => ({ weights: makeWeights(s, 1) }));
    const trimmed = trimmedMean(updates, 0.2);
    const { lora, relativeError } = lowRankApprox(trimmed, 4);
    expect(lora.rank).toBe(4);
    expect(relativeError).toBeLessThan(1);
    expect(relativeDistance(materializeDelta(lora), trimmed.data)).toBeCloseTo(relativeError, 5);
  });
});
