import { describe, expect, it } from 'vitest';
import {
  ALL_LAYERS,
  SeededRng,
  createLora,
  loraFromFactors,
  loraParamCount,
  materializeDelta,
  zeroLora,
} from '@microlora/core';

describe('createLora', () => {
  it('is reproducible from its seed, B starts at zero, and scaling = alpha / rank', () => {
    const x = createLora({ rank: 2, inFeatures: 768, outFeatures: 768, alpha: 4, seed: 42 });
    const y = createLora({ rank: 2, inFeatures: 768, outFeatures: 768, alpha: 4, seed: 42 });
    const z = createLora({ rank: 2, inFeatures: 768, outFeatures: 768, alpha: 4, seed: 43 });
    expect(x.a).toEqual(y.a);
    expect(x.a).not.toEqual(z.a);
    expect(x.b.every((v) => v === 0)).toBe(true);
    expect(x.scaling).toBe(2);
    expect(x.layerMask).toBe(ALL_LAYERS);
    expect(x.a.length).toBe(2 * 768);
    const bound = 1 / Math.sqrt(768);
    expect(Math.max(...x.a.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(loraParamCount(x)).toBe(3072);
  });

  it('rejects bad shapes with typed errors', () => {
    expect(() => createLora({ rank: 0, inFeatures: 8, outFeatures: 8, seed: 1 })).toThrow(
      expect.objectContaining({ code: 'RANK_OUT_OF_RANGE' }),
    );
    expect(() => createLora({ rank: 1.5, inFeatures: 8, outFeatures: 8, seed: 1 })).toThrow(
      expect.objectContaining({ code: 'RANK_OUT_OF_RANGE' }),
    );
    expect(() => createLora({ rank: 1, inFeatures: 0, outFeatures: 8, seed: 1 })).toThrow(
      expect.objectContaining({ code: 'OUT_OF_RANGE' }),
    );
    expect(() => createLora({ rank: 1, inFeatures: 8, outFeatures: 8, alpha: Number.NaN, seed: 1 })).toThrow(
      expect.objectContaining({ code: 'NON_FINITE' }),
    );
  });

  it('loraFromFactors validates lengths and finiteness', () => {
    const ok = { rank: 1, inFeatures: 3, outFeatures: 2, a: new Float32Array(3), b: new Float32Array(2) };
    expect(loraFromFactors(ok).scaling).toBe(2);
    expect(() => loraFromFactors({ ...ok, a: new Float32Array(4) })).toThrow(
      expect.objectContaining({ code: 'DIMENSION_MISMATCH' }),
    );
    expect(() => loraFromFactors({ ...ok, b: new Float32Array([1, Number.POSITIVE_INFINITY]) })).toThrow(
      expect.objectContaining({ code: 'NON_FINITE' }),
    );
    expect(() => loraFromFactors({ ...ok, layerMask: -1n })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('materializeDelta', () => {
  it('equals scaling · B · A computed naively from the documented layout', () => {
    const rng = new SeededRng(7);
    const rank = 3;
    const n = 5;
    const m = 4;
    const a = rng.fillNormal(new Float32Array(rank * n));
    const b = rng.fillNormal(new Float32Array(rank * m));
    const lora = loraFromFactors({ rank, inFeatures: n, outFeatures: m, a, b, alpha: 6 });
    const delta = materializeDelta(lora);
    for (let o = 0; o < m; o++) {
      for (let i = 0; i < n; i++) {
        let s = 0;
        // B[o][r] = b[r*m + o], A[r][i] = a[r*n + i]
        for (let r = 0; r < rank; r++) s += (b[r * m + o] as number) * (a[r * n + i] as number);
        expect(delta[o * n + i]).toBeCloseTo(2 * s, 10);
      }
    }
  });

  it('is zero for the zero adapter', () => {
    expect(materializeDelta(zeroLora({ rank: 2, inFeatures: 3, outFeatures: 3 })).every((v) => v === 0)).toBe(true);
  });
});
