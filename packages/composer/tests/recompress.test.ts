import { describe, expect, it } from 'vitest';
import { isMicroLoraError, loraFromFactors, zeroLora } from '@microlora/core';
import { composeExact, loraSingularValues, recompress, weightedAverage } from '@microlora/composer';
import { denseDelta, frobenius, randomLora, relativeError } from './reference.js';

/** Singular values of a dense m × n matrix by power iteration with deflation (independent of the package). */
function denseSingularValues(x: Float64Array, m: number, n: number, count: number): number[] {
  const work = x.slice();
  const out: number[] = [];
  for (let c = 0; c < count; c++) {
    let v = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 7.1 + c) + 1.3);
    let sigma = 0;
    let u = new Float64Array(m);
    for (let iter = 0; iter < 3000; iter++) {
      u = new Float64Array(m);
      for (let o = 0; o < m; o++) for (let i = 0; i < n; i++) u[o]! += work[o * n + i]! * v[i]!;
      const un = frobenius(u);
      if (un === 0) break;
      u = u.map((q) => q / un);
      const next = new Float64Array(n);
      for (let o = 0; o < m; o++) for (let i = 0; i < n; i++) next[i]! += work[o * n + i]! * u[o]!;
      const s = frobenius(next);
      v = next.map((q) => q / s);
      if (Math.abs(s - sigma) <= 1e-15 * s) {
        sigma = s;
        break;
      }
      sigma = s;
    }
    out.push(sigma);
    for (let o = 0; o < m; o++) for (let i = 0; i < n; i++) work[o * n + i]! -= sigma * u[o]! * v[i]!;
  }
  return out;
}

function composite(k = 5, rank = 2, n = 40, m = 30) {
  const items = Array.from({ length: k }, (_, i) => ({ lora: randomLora(200 + i, rank, n, m), score: 0.2 + 0.15 * i }));
  return weightedAverage.compose(items);
}

describe('recompress (thin QR of both factors + Jacobi SVD of the R×R core)', () => {
  it('is exact when targetRank ≥ the true rank', () => {
    const c = composite();
    expect(c.rank).toBe(10);
    for (const target of [10, 12, 64]) {
      const r = recompress(c, target);
      expect(r.rank).toBe(10);
      expect(r.scaling).toBe(1);
      expect(r.layerMask).toBe(c.layerMask);
      expect(relativeError(denseDelta(r), denseDelta(c))).toBeLessThanOrEqual(1e-5);
    }
  });

  it('finds the true rank of a redundant stack: two copies of one rank-2 adapter compress to rank 2 exactly', () => {
    const lora = randomLora(7, 2, 33, 21);
    const stacked = composeExact([{ lora, score: 0 }, { lora, score: 0 }], [0.25, 0.75]);
    expect(stacked.rank).toBe(4);
    const r = recompress(stacked, 2);
    expect(relativeError(denseDelta(r), denseDelta(lora))).toBeLessThanOrEqual(1e-5);
    expect(loraSingularValues(stacked)[2]).toBeLessThan(1e-6 * loraSingularValues(stacked)[0]!);
  });

  it('is optimal below the true rank (Eckart–Young): the error is exactly the discarded singular values', () => {
    const c = composite(5, 2, 40, 30);
    const dense = denseDelta(c);
    const sigma = denseSingularValues(dense, 30, 40, 10);
    const fromFactors = Array.from(loraSingularValues(c));
    fromFactors.forEach((s, i) => expect(Math.abs(s - sigma[i]!) / sigma[0]!).toBeLessThan(1e-6));
    for (const t of [1, 3, 6]) {
      const r = recompress(c, t);
      expect(r.rank).toBe(t);
      const err = Math.sqrt(denseDelta(r).reduce((s, v, j) => s + (v - dense[j]!) ** 2, 0));
      const optimal = Math.sqrt(sigma.slice(t).reduce((s, v) => s + v * v, 0));
      expect(Math.abs(err - optimal) / optimal).toBeLessThan(1e-4);
      // another rank-t choice, keeping the first t rows of the stack, does worse
      const naive = loraFromFactors({ rank: t, inFeatures: 40, outFeatures: 30, a: c.a.slice(0, t * 40), b: c.b.slice(0, t * 30), alpha: t });
      expect(err).toBeLessThan(relativeError(denseDelta(naive), dense) * frobenius(dense));
    }
  });

  it('handles wide stacks (rank > in) and the zero adapter', () => {
    const wide = loraFromFactors({ ...randomLora(3, 6, 3, 5), alpha: 6 });
    const r = recompress(wide, 6);
    expect(r.rank).toBe(3);
    expect(relativeError(denseDelta(r), denseDelta(wide))).toBeLessThanOrEqual(1e-5);
    const zero = recompress(zeroLora({ rank: 3, inFeatures: 8, outFeatures: 4 }), 2);
    expect(zero.rank).toBe(2);
    expect(denseDelta(zero).every((v) => v === 0)).toBe(true);
  });

  it('validates targetRank and the adapter', () => {
    const c = composite(2);
    for (const bad of [0, 1.5, -1]) {
      expect(() => recompress(c, bad)).toThrow(expect.objectContaining({ code: 'RANK_OUT_OF_RANGE' }) as Error);
    }
    const poisoned = { ...c, a: c.a.slice() };
    poisoned.a[0] = Number.NaN;
    try {
      recompress(poisoned, 2);
      expect.unreachable();
    } catch (err) {
      expect(isMicroLoraError(err, 'NON_FINITE')).toBe(true);
    }
  });
});
