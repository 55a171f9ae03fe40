import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRng } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';
import { createFlatIndex } from '@microlora/vector-index';
import type { Metric } from '@microlora/vector-index';
import { referenceSearch } from '@microlora/vector-index/conformance';

/** Only `dot` is used by the flat index; the rest of SimdOps is irrelevant here. */
function dotOnlyBackend(calls: { n: number }): SimdOps {
  return {
    name: 'test-dot',
    dot(a: Float32Array, b: Float32Array): number {
      calls.n++;
      let s = 0;
      for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
      return s;
    },
  } as unknown as SimdOps;
}

describe('createFlatIndex', () => {
  it.each<Metric>(['cosine', 'inner-product'])('a SIMD backend gives the same results as the fused loop (%s)', (metric) => {
    const rng = new SeededRng(metric);
    const calls = { n: 0 };
    const fused = createFlatIndex({ dimension: 33, metric, capacity: 4 });
    const viaBackend = createFlatIndex({ dimension: 33, metric, capacity: 4, backend: dotOnlyBackend(calls) });
    const items = Array.from({ length: 300 }, (_, i) => ({ id: `x${i}`, vector: rng.fillNormal(new Float32Array(33)) }));
    fused.addBatch(items);
    viaBackend.addBatch(items);
    for (let i = 0; i < 300; i += 4) {
      fused.remove(`x${i}`);
      viaBackend.remove(`x${i}`);
    }
    for (let q = 0; q < 10; q++) {
      const query = rng.fillNormal(new Float32Array(33));
      const a = fused.search(query, 7);
      const b = viaBackend.search(query, 7);
      expect(b.map((h) => h.id)).toEqual(a.map((h) => h.id));
      b.forEach((h, i) => expect(h.distance).toBeCloseTo(a[i]!.distance, 10));
    }
    expect(calls.n).toBe(10 * 225);
  });

  it('rejects a backend without dot()', () => {
    expect(() => createFlatIndex({ dimension: 2, backend: {} as SimdOps })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('doubles its capacity when full and keeps the store dense on removal', () => {
    const index = createFlatIndex({ dimension: 2, metric: 'l2', capacity: 3 });
    expect(index.capacity).toBe(3);
    for (let i = 0; i < 4; i++) index.add(`p${i}`, new Float32Array([i, 0]));
    expect(index.capacity).toBe(6);
    index.remove('p0');
    // p3 moved into slot 0; every remaining point is still found at its exact distance.
    expect(index.search(new Float32Array([0, 0]), 10)).toEqual([
      { id: 'p1', distance: 1, similarity: 0.5 },
      { id: 'p2', distance: 4, similarity: 0.2 },
      { id: 'p3', distance: 9, similarity: 0.1 },
    ]);
  });

  it('is exact on 768-d data against a float64 brute force', () => {
    const rng = new SeededRng(768);
    const index = createFlatIndex({ dimension: 768 });
    const items = Array.from({ length: 500 }, (_, i) => ({ id: `d${i}`, vector: rng.fillNormal(new Float32Array(768)) }));
    index.addBatch(items);
    const query = rng.fillNormal(new Float32Array(768));
    const want = referenceSearch(items, query, 20, 'cosine');
    const got = index.search(query, 20);
    expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
    got.forEach((h, i) => expect(Math.abs(h.similarity - want[i]!.similarity)).toBeLessThan(1e-6));
  });

  it('every row of every block shape is scored exactly (any n, d, metric)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom<Metric>('cosine', 'inner-product', 'l2'),
        fc.integer(),
        (n, d, metric, seed) => {
          const rng = new SeededRng(seed);
          const index = createFlatIndex({ dimension: d, metric, capacity: 1 });
          const items = Array.from({ length: n }, (_, i) => {
            const vector = rng.fillNormal(new Float32Array(d));
            vector[0] = (vector[0] as number) + 0.01; // never all zero
            return { id: `r${i}`, vector };
          });
          index.addBatch(items);
          const query = rng.fillNormal(new Float32Array(d));
          query[0] = (query[0] as number) + 0.01;
          const want = referenceSearch(items, query, n, metric);
          const got = index.search(query, n);
          expect(got).toHaveLength(n);
          got.forEach((h, i) => expect(Math.abs(h.distance - want[i]!.distance)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i]!.distance))));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a throwing filter propagates and leaves the index usable', () => {
    const index = createFlatIndex({ dimension: 2, metric: 'l2' });
    index.add('a', new Float32Array([1, 1]));
    expect(() =>
      index.search(new Float32Array([0, 0]), 1, {
        filter: () => {
          throw new Error('boom');
        },
      }),
    ).toThrow('boom');
    expect(index.search(new Float32Array([0, 0]), 1)[0]?.id).toBe('a');
  });

  it('rejects a non-string id and a non-Float32Array vector', () => {
    const index = createFlatIndex({ dimension: 2 });
    expect(() => index.add(5 as unknown as string, new Float32Array([1, 0]))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => index.add('a', [1, 0] as unknown as Float32Array)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => index.search(new Float64Array(2) as unknown as Float32Array, 1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
