import { describe, expect, it } from 'vitest';
import type { Metric } from '@microlora/vector-index';
import {
  HNSW_DEFAULTS,
  LabelMap,
  checkNewBatch,
  checkNewEntry,
  checkSearch,
  guardLabelFilter,
  hitsFromNeighbors,
  integerOption,
  resolveHnswParameters,
} from '@microlora/vector-index/adapter-kit';

const code = (code: string): unknown => expect.objectContaining({ code });

function mapOf(...ids: string[]): LabelMap {
  const map = new LabelMap();
  for (const id of ids) map.add(id, () => undefined);
  return map;
}

describe('argument checks', () => {
  const index = { dimension: 3, metric: 'cosine' as Metric, has: (id: string) => id === 'taken' };
  const v = new Float32Array([3, 0, 4]);

  it('checkNewEntry checks the id, then the vector, then duplicates, and returns the norm', () => {
    expect(checkNewEntry(index, 'new', v)).toBe(5);
    expect(() => checkNewEntry(index, 5, new Float32Array(2))).toThrow(code('INVALID_ARGUMENT'));
    expect(() => checkNewEntry(index, 'taken', new Float32Array(2))).toThrow(code('DIMENSION_MISMATCH'));
    expect(() => checkNewEntry(index, 'new', new Float32Array([1, Number.NaN, 0]))).toThrow(code('NON_FINITE'));
    expect(() => checkNewEntry(index, 'new', new Float32Array(3))).toThrow(code('INVALID_ARGUMENT'));
    expect(() => checkNewEntry(index, 'taken', v)).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_ID', message: expect.stringContaining('"taken" is already in the index') }),
    );
  });

  it('checkNewBatch checks every item before returning them with their norms', () => {
    const checked = checkNewBatch(index, new Set([{ id: 'a', vector: v }, { id: 'b', vector: new Float32Array([0, 2, 0]) }]));
    expect(checked.items.map((i) => i.id)).toEqual(['a', 'b']);
    expect(Array.from(checked.norms)).toEqual([5, 2]);
    expect(() => checkNewBatch(index, [{ id: 'a', vector: v }, { id: 'a', vector: v }])).toThrow(code('DUPLICATE_ID'));
    expect(() => checkNewBatch(index, [{ id: 'a', vector: v }, { id: 'taken', vector: v }])).toThrow(code('DUPLICATE_ID'));
    expect(() => checkNewBatch(index, [{ id: 'a', vector: v }, null as never])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('items[1].id') }),
    );
    expect(() => checkNewBatch(index, [{ id: 'a', vector: new Float32Array(1) }])).toThrow(
      expect.objectContaining({ code: 'DIMENSION_MISMATCH', message: expect.stringContaining('items[0].vector') }),
    );
  });

  it('checkSearch checks the query, k and the filter, and returns the norm and filter', () => {
    const filter = (id: string): boolean => id.length > 0;
    expect(checkSearch(index, v, 2, { filter })).toEqual({ norm: 5, filter });
    expect(checkSearch(index, v, 1, undefined)).toEqual({ norm: 5, filter: undefined });
    expect(() => checkSearch(index, new Float32Array(2), 0, undefined)).toThrow(code('DIMENSION_MISMATCH'));
    for (const k of [0, 1.5, -1, '3', Number.NaN]) expect(() => checkSearch(index, v, k, undefined)).toThrow(code('INVALID_ARGUMENT'));
    expect(() => checkSearch(index, v, 1, { filter: 'x' as never })).toThrow(code('INVALID_ARGUMENT'));
  });

  it('integerOption applies the fallback and bounds', () => {
    expect(integerOption('m', undefined, 6, 2, 10)).toBe(6);
    expect(integerOption('m', 10, 6, 2, 10)).toBe(10);
    for (const bad of [1, 11, 2.5, '4', Number.POSITIVE_INFINITY]) {
      expect(() => integerOption('m', bad, 6, 2, 10)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('m must be an integer in [2, 10]') }),
      );
    }
  });

  it('resolveHnswParameters applies the defaults and names a bad option', () => {
    expect(resolveHnswParameters({})).toEqual(HNSW_DEFAULTS);
    expect(resolveHnswParameters({ m: 2, efConstruction: 1, ef: 1, seed: 0 })).toEqual({ m: 2, efConstruction: 1, ef: 1, seed: 0 });
    expect(resolveHnswParameters({ seed: 0xffff_ffff }).seed).toBe(0xffff_ffff);
    for (const [bad, name] of [[{ m: 4097 }, 'm'], [{ efConstruction: 0 }, 'efConstruction'], [{ ef: 2 ** 20 + 1 }, 'ef'], [{ seed: 2 ** 32 }, 'seed']] as const) {
      expect(() => resolveHnswParameters(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(new RegExp(`^${name} `)) }));
    }
  });
});

describe('guardLabelFilter', () => {
  it('is undefined without a filter', () => {
    expect(guardLabelFilter(mapOf('a'), undefined)).toBeUndefined();
  });

  it('passes live ids to the filter and rejects labels without one uncalled', () => {
    const seen: string[] = [];
    const guard = guardLabelFilter(mapOf('a', 'b'), (id) => {
      seen.push(id);
      return id === 'b' ? (1 as unknown as boolean) : true;
    })!;
    expect([guard.accepts(0), guard.accepts(1), guard.accepts(7)]).toEqual([true, false, false]);
    expect(seen).toEqual(['a', 'b']);
    guard.rethrowIfFailed();
  });

  it('holds the first exception, rejects every later label, and rethrows it once asked', () => {
    const failure = new Error('first');
    let calls = 0;
    const guard = guardLabelFilter(mapOf('a', 'b'), () => {
      calls++;
      throw calls === 1 ? failure : new Error('later');
    })!;
    expect([guard.accepts(0), guard.accepts(1), guard.accepts(0)]).toEqual([false, false, false]);
    expect(calls).toBe(1);
    expect(() => guard.rethrowIfFailed()).toThrow(failure);
  });
});

describe('hitsFromNeighbors', () => {
  const labels = mapOf('a', 'b', 'c');

  it('turns hnswlib distances into contract hits per metric', () => {
    const result = { neighbors: [0, 1], distances: [0.25, 1.5] };
    expect(hitsFromNeighbors(result, labels, 'cosine')).toEqual([
      { id: 'a', distance: 0.25, similarity: 0.75 },
      { id: 'b', distance: 1.5, similarity: -0.5 },
    ]);
    expect(hitsFromNeighbors(result, labels, 'inner-product')).toEqual([
      { id: 'a', distance: 0.25, similarity: 0.75 },
      { id: 'b', distance: 1.5, similarity: -0.5 },
    ]);
    expect(hitsFromNeighbors(result, labels, 'l2')).toEqual([
      { id: 'a', distance: 0.25, similarity: 0.8 },
      { id: 'b', distance: 1.5, similarity: 0.4 },
    ]);
  });

  it('clamps cosine to [−1, 1], drops unknown labels and orders ties by id', () => {
    const result = { neighbors: [2, 9, 0, 1], distances: [0.5, 0, 0.5, -1e-7] };
    expect(hitsFromNeighbors(result, labels, 'cosine')).toEqual([
      { id: 'b', distance: 0, similarity: 1 },
      { id: 'a', distance: 0.5, similarity: 0.5 },
      { id: 'c', distance: 0.5, similarity: 0.5 },
    ]);
    expect(hitsFromNeighbors({ neighbors: [1], distances: [-1e-9] }, labels, 'l2')).toEqual([{ id: 'b', distance: 0, similarity: 1 }]);
  });
});
