import { describe, expect, it } from 'vitest';
import { createFlatIndex } from '@microlora/vector-index';
import type { SearchHit, SearchOptions, VectorIndex, VectorIndexOptions } from '@microlora/vector-index';
import { vectorIndexConformanceCases } from '@microlora/vector-index/conformance';
import type { VectorIndexConformanceOptions } from '@microlora/vector-index/conformance';

// The suite is only worth running if it fails broken indexes: each wrapper below breaks
// one promise of the contract, and the named case must catch it.

type Patch = (inner: VectorIndex) => Partial<VectorIndex>;

function broken(patch: Patch): (options: VectorIndexOptions) => VectorIndex {
  return (options) => {
    const inner = createFlatIndex(options);
    const overrides = patch(inner);
    return new Proxy(inner, {
      get(target, key, receiver) {
        if (key in overrides) return overrides[key as keyof VectorIndex];
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
}

async function expectCaseFails(
  create: (options: VectorIndexOptions) => VectorIndex,
  name: string,
  options?: VectorIndexConformanceOptions,
): Promise<void> {
  const c = vectorIndexConformanceCases(create, options).find((x) => x.name === name);
  expect(c, `no case ${name}`).toBeDefined();
  await expect(Promise.resolve().then(() => c!.run())).rejects.toThrow();
}

const reorderTies = (hits: SearchHit[]): SearchHit[] =>
  hits.slice().sort((a, b) => a.distance - b.distance || (a.id < b.id ? 1 : -1));

describe('the conformance suite catches broken indexes', () => {
  it('an index ignoring the filter', async () => {
    await expectCaseFails(
      broken((inner) => ({ search: (q: Float32Array, k: number) => inner.search(q, k) })),
      'search applies the filter',
    );
  });

  it('an index ordering ties against the id', async () => {
    await expectCaseFails(
      broken((inner) => ({ search: (q: Float32Array, k: number, o?: SearchOptions) => reorderTies(inner.search(q, k, o)) })),
      'search orders equal distances by id',
    );
  });

  it('an index with slightly wrong distances', async () => {
    const shifted = broken((inner) => ({
      search: (q: Float32Array, k: number, o?: SearchOptions) =>
        inner.search(q, k, o).map((h) => ({ ...h, distance: h.distance + 1e-3 })),
    }));
    for (const metric of ['cosine', 'inner-product', 'l2']) await expectCaseFails(shifted, `search matches brute force: ${metric}`);
  });

  it('an index mapping l2 distance to similarity the cosine way', async () => {
    await expectCaseFails(
      broken((inner) => ({
        search: (q: Float32Array, k: number, o?: SearchOptions) =>
          inner.search(q, k, o).map((h) => ({ ...h, similarity: 1 - h.distance })),
      })),
      'search matches brute force: l2',
    );
  });

  it('an index whose remove() only hides the id from has()', async () => {
    const hidden = new Set<string>();
    await expectCaseFails(
      broken((inner) => ({
        remove: (id: string) => void hidden.add(id),
        has: (id: string) => inner.has(id) && !hidden.has(id),
      })),
      'removed ids are never returned',
    );
  });

  it('an index whose load() ignores bad bytes', async () => {
    const lenient = broken((inner) => ({
      load: async (bytes: Uint8Array) => {
        try {
          await inner.load(bytes);
        } catch {
          // swallowed: the defect under test
        }
      },
    }));
    await expectCaseFails(lenient, 'load rejects truncated bytes (CORRUPT_DATA)');
    await expectCaseFails(lenient, 'load rejects flipped bytes (CORRUPT_DATA)');
  });

  it('an index that keeps the caller’s vector by reference', async () => {
    await expectCaseFails(
      (options) => {
        const inner = createFlatIndex(options);
        const live = new Map<string, Float32Array>();
        const index: VectorIndex = Object.create(inner) as VectorIndex;
        Object.assign(index, {
          add: (id: string, v: Float32Array) => {
            inner.add(id, v);
            live.set(id, v);
          },
          addBatch: (items: Iterable<{ id: string; vector: Float32Array }>) => {
            for (const it of items) index.add(it.id, it.vector);
          },
          search: (q: Float32Array, k: number, o?: SearchOptions) => {
            // Re-index from the caller's (possibly mutated) buffers on every search.
            for (const [id, v] of live) {
              inner.remove(id);
              inner.add(id, v);
            }
            return inner.search(q, k, o);
          },
        });
        return index;
      },
      'copies vectors: caller buffers may be reused',
    );
  });

  it('an approximate index below the recall bar', async () => {
    const sloppy = broken((inner) => ({
      exact: false,
      // Keeps only every other true neighbour: recall@10 ≈ 0.5.
      search: (q: Float32Array, k: number, o?: SearchOptions) =>
        inner.search(q, 2 * k, o).filter((_, i) => i % 2 === 0),
    }));
    await expectCaseFails(sloppy, 'search matches brute force: cosine', { approximate: { minRecallAt10: 0.9 } });
  });

  it('rejects skipping a case that does not exist', () => {
    expect(() => vectorIndexConformanceCases(createFlatIndex, { skip: { 'no such case': 'typo' } })).toThrow(/no case named/);
  });

  it('marks skipped cases with their reason', () => {
    const cases = vectorIndexConformanceCases(createFlatIndex, { skip: { 'search applies the filter': 'no filters here' } });
    expect(cases.find((c) => c.name === 'search applies the filter')?.skip).toBe('no filters here');
    expect(cases.filter((c) => c.skip !== undefined)).toHaveLength(1);
  });
});
